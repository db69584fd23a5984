package org.bandalign.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Runs a batch, and when it fails for lack of device memory, splits it in half and runs each
 * half the same way (the spark-rapids {@code withRetry(batch, splitInHalf, fn)} pattern). A
 * single item that still does not fit is handed to {@code tooLarge}, with the failure it met. Results keep the batch's
 * order. Pure logic, so it is tested without a GPU.
 *
 * @param <T> batch item
 * @param <R> result per item
 */
final class SplitOnOutOfMemory<T, R> {
    private final Function<List<T>, List<R>> run;
    private final Predicate<RuntimeException> isOutOfMemory;
    private final BiFunction<T, RuntimeException, R> tooLarge;
    private int splits;

    SplitOnOutOfMemory(Function<List<T>, List<R>> run, Predicate<RuntimeException> isOutOfMemory,
            BiFunction<T, RuntimeException, R> tooLarge) {
        this.run = run;
        this.isOutOfMemory = isOutOfMemory;
        this.tooLarge = tooLarge;
    }

    List<R> apply(List<T> batch) {
        if (batch.isEmpty()) {
            return List.of();
        }
        try {
            return run.apply(batch);
        } catch (RuntimeException e) {
            if (!isOutOfMemory.test(e)) {
                throw e;
            }
            if (batch.size() == 1) {
                return List.of(tooLarge.apply(batch.get(0), e));
            }
        }
        splits++;
        int half = batch.size() / 2;
        List<R> out = new ArrayList<>(apply(batch.subList(0, half)));
        out.addAll(apply(batch.subList(half, batch.size())));
        return out;
    }

    /** How many times a batch was split so far. */
    int splits() {
        return splits;
    }
}
