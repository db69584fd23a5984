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
public final class JobKey<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final String type;
    private final T defaultValue;
    private final String description;
    private final SerializableParser<T> parser;

    interface SerializableParser<T> extends Function<String, T>, Serializable {
    }

    JobKey(String name, String type, T defaultValue, String description, SerializableParser<T> parser) {
        this.name = name;
        this.type = type;
        this.defaultValue = defaultValue;
        this.description = description;
        this.parser = parser;
    }

    public String name() {
        return name;
    }

    public String type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    /** The value set in {@code conf}, or the default. */
    public T get(SparkConf conf) {
        return conf.contains(name) ? parse(conf.get(name)) : defaultValue;
    }

    /** Parses a textual value, with an error that names the key. */
    public T parse(String text) {
        try {
            return parser.apply(text.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + ": cannot read '" + text + "' as " + type, e);
        }
    }
}
