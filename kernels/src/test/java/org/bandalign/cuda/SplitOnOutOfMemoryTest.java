package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The split-in-half retry, driven by a runner that "runs out of memory" above a batch size. */
class SplitOnOutOfMemoryTest {
    private static final class OutOfMemory extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfMemory() {
            this("out of memory");
        }

        OutOfMemory(String message) {
            super(message);
        }
    }

    @Test
    void apply_batchTooLargeForDevice_splitsUntilItFitsAndKeepsOrder() {
        List<Integer> sizes = new ArrayList<>();
        SplitOnOutOfMemory<Integer, String> s = new SplitOnOutOfMemory<>(batch -> {
            sizes.add(batch.size());
            if (batch.size() > 3) {
                throw new OutOfMemory();
            }
            return batch.stream().map(x -> "r" + x).collect(Collectors.toList());
        }, e -> e instanceof OutOfMemory, (x, e) -> "too-large-" + x);
        List<Integer> batch = IntStream.range(0, 13).boxed().collect(Collectors.toList());
        List<String> out = s.apply(batch);
        assertEquals(batch.stream().map(x -> "r" + x).collect(Collectors.toList()), out);
        assertEquals(13, sizes.get(0));
        assertEquals(4, s.splits(), "13 -> 6 + 7, 6 -> 3 + 3, 7 -> 3 + 4, 4 -> 2 + 2");
    }

    @Test
    void apply_singleItemThatNeverFits_isReportedAsTooLarge() {
        SplitOnOutOfMemory<Integer, String> s = new SplitOnOutOfMemory<>(batch -> {
            if (batch.contains(5)) {
                throw new OutOfMemory("out of memory with " + batch);
            }
            return batch.stream().map(x -> "r" + x).collect(Collectors.toList());
        }, e -> e instanceof OutOfMemory, (x, e) -> "too-large-" + x + " (" + e.getMessage() + ")");
        List<String> out = s.apply(List.of(1, 2, 3, 4, 5, 6));
        assertEquals(List.of("r1", "r2", "r3", "r4", "too-large-5 (out of memory with [5])", "r6"), out,
                "the lone item's own failure reaches tooLarge");
    }

    @Test
    void apply_otherFailure_isNotRetried() {
        SplitOnOutOfMemory<Integer, String> s = new SplitOnOutOfMemory<>(batch -> {
            throw new IllegalStateException("kernel fault");
        }, e -> e instanceof OutOfMemory, (x, e) -> "too-large-" + x);
        assertThrows(IllegalStateException.class, () -> s.apply(List.of(1, 2)));
        assertEquals(0, s.splits());
    }
}
