package org.bandalign.job;

import java.io.Serializable;
import java.util.function.Function;
import org.apache.spark.SparkConf;

/**
 * One configuration key of the job, declared once with its type, default and description
 * ({@link JobKeys} lists them all; the README's table is generated from the same list by
 * {@code bin/bandalign keys}).
 *
 * @param <T> the value's type
 */
final class JobKey<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final String type;
    private final T defaultValue;
    private final String description;
    private final SerializableParser<T> parser;
    /** The smallest value allowed, for numeric keys; null for none. */
    private final Double min;
    /** The {@code align} flag that sets this key for one run, or null. */
    private final String flag;

    interface SerializableParser<T> extends Function<String, T>, Serializable {
    }

    JobKey(String name, String type, T defaultValue, String description, SerializableParser<T> parser) {
        this(name, type, defaultValue, description, parser, null);
    }

    /** A numeric key whose values must be at least {@code min}. */
    JobKey(String name, String type, T defaultValue, String description, SerializableParser<T> parser, Double min) {
        this(name, type, defaultValue, description, parser, min, null);
    }

    private JobKey(String name, String type, T defaultValue, String description, SerializableParser<T> parser, Double min,
                   String flag) {
        this.name = name;
        this.type = type;
        this.defaultValue = defaultValue;
        this.description = description;
        this.parser = parser;
        this.min = min;
        this.flag = flag;
    }

    /** This key, set for one run also by {@code align}'s {@code flag} (which wins over it). */
    JobKey<T> withFlag(String flag) {
        return new JobKey<>(name, type, defaultValue, description, parser, min, flag);
    }

    String name() {
        return name;
    }

    String type() {
        return type;
    }

    T defaultValue() {
        return defaultValue;
    }

    String description() {
        return description;
    }

    /** The {@code align} flag that sets this key for one run, or null. */
    String flag() {
        return flag;
    }

    /** The value set in {@code conf}, or the default. */
    T get(SparkConf conf) {
        return conf.contains(name) ? parse(conf.get(name)) : defaultValue;
    }

    /** Parses a textual value, with an error that names the key (a value below the key's minimum is one). */
    T parse(String text) {
        T value;
        try {
            value = parser.apply(text.trim());
        } catch (RuntimeException e) {
            throw new UserError(name + ": cannot read '" + text + "' as " + type);
        }
        check(value, name);
        return value;
    }

    /** Refuses a value below the key's minimum; {@code what} names where it came from (the key or a flag). */
    T check(T value, String what) {
        if (min != null && value instanceof Number && !(((Number) value).doubleValue() >= min)) {
            String message = what + " must be at least " + (min == Math.rint(min) ? Long.toString(min.longValue()) : min)
                    + ", got " + value;
            throw what.startsWith("--") ? UserError.badFlag(message) : new UserError(message);
        }
        return value;
    }
}
