package org.bandalign.align.testing;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * A list that backends read by index, for tests whose lists act when a worker reads an entry
 * (throw, close the aligner, wait): a backend copies a list without {@link RandomAccess} once,
 * before its workers see it, so such a list must say it has constant-time {@code get}.
 */
public abstract class IndexedList<T> extends AbstractList<T> implements RandomAccess {
}
