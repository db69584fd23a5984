package org.bandalign.job;

import java.io.IOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * How a run's output comes into place: everything is written to a hidden sibling of the output
 * directory ({@link #staging}), which replaces the output only once complete. An earlier output
 * ({@code --overwrite}) is first moved aside ({@link #aside}), then the staging directory is
 * renamed onto the output, then the earlier one is removed; {@link #recover()} (run by the
 * shutdown hook after an interruption, never while {@link #publish} runs: the hook waits for it)
 * puts back whatever a half-done swap left. On HDFS and
 * local disks each rename is atomic; on object stores (S3, GCS) a rename copies every object,
 * so there the swap is neither atomic nor quick.
 */
final class OutputSwap {
    /** What follows the output's name in its staging directory's name. */
    static final String STAGING_MARK = ".bandalign-staging-";
    private static final String ASIDE_MARK = ".bandalign-earlier-";

    final FileSystem fs;
    final Path out;
    final Path staging;
    final Path aside;
    /** Set by {@link #recover()}: the run is being stopped, nothing is published after it. */
    private boolean recovered;
    /** Set once the finished output is in place. */
    private boolean published;

    /** What an earlier output in {@code out} must be for {@code --overwrite} to replace it. */
    private final OutputPlace.Replaceable replaces;

    /**
     * The swap of run {@code runId} (e.g. the Spark application id) into {@code out}, a qualified
     * path, where {@code --overwrite} replaces only what {@code replaces} describes.
     */
    OutputSwap(FileSystem fs, Path out, String runId, OutputPlace.Replaceable replaces) {
        if (out.getParent() == null) {
            throw new UserError("--output must not be the root of a file system: " + out);
        }
        this.fs = fs;
        this.out = out;
        this.replaces = replaces;
        // (Spark and Hadoop skip names that start with a dot when they list a directory)
        // (names as relative paths of their own: a ':' in the output's name is no URI scheme)
        this.staging = new Path(out.getParent(), new Path(null, null, "." + out.getName() + STAGING_MARK + runId));
        this.aside = new Path(out.getParent(), new Path(null, null, "." + out.getName() + ASIDE_MARK + runId));
    }

    /**
     * Moves the complete staging directory into place. Without {@code overwrite}, an output that
     * appeared while the run wrote is left alone, and so is the finished output, where the
     * message says. Where a rename fails, the earlier output is put back.
     */
    synchronized void publish(boolean overwrite) throws IOException {
        if (recovered) {
            throw new IOException("stopped before the finished output was moved into place");
        }
        if (fs.exists(out)) {
            if (!overwrite) {
                throw new UserError("output directory " + out + " appeared while this run was writing (and --overwrite was "
                        + "not given), so it is left alone; the finished output is in " + staging);
            }
            try {
                OutputPlace.checkReplaceable(fs, out, replaces);   // (again: the run may have taken hours)
            } catch (UserError e) {
                throw new UserError(e.getMessage() + "; the finished output is in " + staging);
            }
            if (!rename(out, aside)) {
                throw new IOException("could not move the earlier output " + out + " aside to " + aside
                        + "; the finished output is in " + staging);
            }
        }
        IOException failure = null;
        boolean moved = false;
        try {
            moved = rename(staging, out);   // (a file system may say no, or throw)
        } catch (IOException e) {
            failure = e;
        }
        if (!moved) {
            if (fs.exists(aside) && !fs.exists(out)) {
                rename(aside, out);
            }
            throw new IOException("could not move the finished output from " + staging + " to " + out
                    + " (the earlier output, if any, is back in place)", failure);
        }
        published = true;
        fs.delete(aside, true);
    }

    /**
     * After an interruption at any point: the staging directory is removed, and a swap cut
     * short is completed or undone (an earlier output moved aside but not yet replaced goes
     * back; one already replaced is removed). Returns whether the finished output is in place
     * (the run was stopped only once it had been moved there); else the output directory is
     * as it was before the run.
     */
    synchronized boolean recover() throws IOException {
        recovered = true;
        undo();
        return published;
    }

    /**
     * After {@link #recover()} on a cluster: the executors' tasks of a stopped run outlive the
     * driver's Spark context for a moment (their JVMs are killed after it, by the Workers), and
     * a task still writing makes the staging directory again. Removes it each time it appears,
     * until it has stayed away for {@code quiet}, or for at most {@code limit}. Returns whether
     * it is gone.
     */
    boolean removeLateWrites(java.time.Duration quiet, java.time.Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        long absentSince = System.nanoTime();
        while (true) {
            if (fs.exists(staging)) {
                fs.delete(staging, true);
                absentSince = System.nanoTime();
            }
            long now = System.nanoTime();
            if (now - absentSince >= quiet.toNanos()) {
                return true;
            }
            if (now >= deadline) {
                return !fs.exists(staging);
            }
            Thread.sleep(200);
        }
    }

    /**
     * Before the run starts: what runs killed hard (SIGKILL, a lost machine) left beside
     * {@code out}, whose hooks never ran. An earlier output moved aside by a swap cut short
     * between its two renames, where no output stands in its place, is the user's only copy:
     * the run is refused, saying how to put it back. Such a copy beside an output in place, and
     * staging directories of other runs (a run killed mid-job), are named in a warning: another
     * run may be writing there still, so nothing is removed. Those of run {@code runId} itself
     * (an earlier attempt of the same application) are {@link #prepare()}'s.
     *
     * @throws UserError where an earlier output lies aside and none is in place
     */
    static void checkLeftovers(FileSystem fs, Path out, String runId, org.slf4j.Logger log) throws IOException {
        if (out.getParent() == null || !fs.exists(out.getParent())) {
            return;
        }
        String asideName = "." + out.getName() + ASIDE_MARK;
        String stagingName = "." + out.getName() + STAGING_MARK;
        java.util.List<Path> asides = new java.util.ArrayList<>();
        java.util.List<Path> stagings = new java.util.ArrayList<>();
        for (org.apache.hadoop.fs.FileStatus sibling : fs.listStatus(out.getParent())) {
            String name = sibling.getPath().getName();
            if (name.equals(asideName + runId) || name.equals(stagingName + runId)) {
                continue;   // (this application's own, from an earlier attempt: prepare() puts them right)
            }
            if (name.startsWith(asideName)) {
                asides.add(sibling.getPath());
            } else if (name.startsWith(stagingName)) {
                stagings.add(sibling.getPath());
            }
        }
        java.util.Collections.sort(asides);
        java.util.Collections.sort(stagings);
        if (!asides.isEmpty() && !fs.exists(out)) {
            throw new UserError("output directory " + out + " is not there, but " + asides.get(asides.size() - 1) + " holds the"
                    + " earlier output that a run killed while it replaced it moved aside (complete, as it was before that run);"
                    + " move it back to " + out + " (or delete it), then run again");
        }
        if (!asides.isEmpty()) {
            log.warn("{} hold(s) an earlier output of {} that a run killed hard moved aside after its new output was in place;"
                    + " remove it once no run writes to {}", asides, out, out);
        }
        if (!stagings.isEmpty()) {
            log.warn("{} hidden staging director{} of other runs {} beside {} (a run killed hard leaves its own): {}; remove {}"
                    + " once no run writes to {}", stagings.size(), stagings.size() > 1 ? "ies" : "y", stagings.size() > 1 ? "lie" : "lies",
                    out, stagings, stagings.size() > 1 ? "them" : "it", out);
        }
    }

    /**
     * Creates file {@code name} in the staging directory, which must still be there: where the
     * run was stopped meanwhile ({@link #recover()} removed it), an IOException, not a staging
     * directory made again by the create and left behind (a concurrency review: a SIGTERM between
     * the last Spark job and the summary's write left one).
     */
    synchronized java.io.OutputStream createInStaging(String name) throws IOException {
        if (recovered) {
            throw new IOException("the run was stopped, and " + staging + " removed");
        }
        Path file = new Path(staging, name);
        try {
            return fs.createFile(file).overwrite(false).build();   // (not recursive: no parent made)
        } catch (IOException e) {
            // (a file system without createNonRecursive, which Hadoop's FileSystem says in these words)
            if (!String.valueOf(e.getMessage()).contains("createNonRecursive unsupported") || !fs.isDirectory(staging)) {
                throw e;
            }
            return fs.create(file, false);
        }
    }

    /**
     * Before the run writes: what an earlier attempt of the same application (a YARN reattempt
     * keeps its id) left, put right as {@link #recover()} would.
     */
    synchronized void prepare() throws IOException {
        undo();
    }

    private void undo() throws IOException {
        if (fs.exists(aside)) {
            if (fs.exists(out)) {
                fs.delete(aside, true);   // the new output is in place
                published = true;
            } else {
                rename(aside, out);       // cut short between the two renames
            }
        }
        fs.delete(staging, true);
    }

    /**
     * Renames directory {@code from} to {@code to}, failing (false) where {@code to} exists:
     * FileSystem.rename would move {@code from} inside an existing {@code to} (HDFS, local disks),
     * so the rename goes through FileContext without overwriting where the file system has one.
     */
    private boolean rename(Path from, Path to) throws IOException {
        org.apache.hadoop.fs.FileContext context;
        try {
            context = org.apache.hadoop.fs.FileContext.getFileContext(fs.getUri(), fs.getConf());
        } catch (org.apache.hadoop.fs.UnsupportedFileSystemException e) {
            return !fs.exists(to) && fs.rename(from, to);   // (a small window remains there)
        }
        try {
            context.rename(from, to, org.apache.hadoop.fs.Options.Rename.NONE);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }
}
