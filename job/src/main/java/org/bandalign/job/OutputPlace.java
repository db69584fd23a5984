package org.bandalign.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where {@code align} (and {@code generate}: {@link #GENERATED_MARK}) may write: never onto,
 * around or into its input (replacing the output with {@code --overwrite} would delete the input, and an output inside the input would be read as
 * input by the next run), never over a file. The input is taken as the user wrote it, as the
 * paths its glob matches ({@code --input 'data/run-*'}), and, on the local file system, with
 * symbolic links resolved: a glob or a link that leads to the output must not let
 * {@code --overwrite} replace the input.
 */
final class OutputPlace {
    private OutputPlace() {
    }

    /**
     * Refuses, with a {@link UserError}, an output {@code out} (qualified, on {@code outFs}) that
     * is, holds or lies inside {@code input}, or that is an existing file or lies under one.
     */
    static void check(Configuration hadoop, String input, FileSystem outFs, Path out) throws IOException {
        Path in = new Path(input);
        FileSystem inFs = in.getFileSystem(hadoop);
        List<Path> inputs = new ArrayList<>();
        inputs.add(inFs.makeQualified(in));
        FileStatus[] matched = inFs.globStatus(in);   // a plain path matches itself; null when it is missing
        if (matched != null) {
            for (FileStatus st : matched) {
                inputs.add(inFs.makeQualified(st.getPath()));
            }
        }
        Optional<Path> realOut = localRealPath(out);
        for (Path i : inputs) {
            checkApart(i, out, "");
            Optional<Path> realIn = localRealPath(i);
            if (realIn.isPresent() && realOut.isPresent()) {
                checkApart(realIn.get(), realOut.get(), " (after symbolic links: " + realOut.get() + " and " + realIn.get() + ")");
            }
        }
        checkPlace(outFs, out);
    }

    /** Refuses, with a {@link UserError}, an output {@code out} that is an existing file or lies under one. */
    static void checkPlace(FileSystem outFs, Path out) throws IOException {
        if (outFs.exists(out) && !outFs.getFileStatus(out).isDirectory()) {
            throw new UserError("--output " + out + " is a file, not a directory; choose a directory (a file is never replaced)");
        }
        for (Path above = out.getParent(); above != null; above = above.getParent()) {   // (the nearest that exists)
            if (outFs.exists(above)) {
                if (!outFs.getFileStatus(above).isDirectory()) {
                    throw new UserError("--output " + out + " lies under " + above + ", which is a file, not a directory;"
                            + " choose another directory");
                }
                break;
            }
        }
    }

    /**
     * What {@code --overwrite} may replace: an earlier output of {@code command}, known by the
     * file {@code mark} that every one holds, holding nothing but the names {@code written}
     * allows, and in its folders named in {@code tables} nothing but a Spark table's files
     * ({@link #tableFile}).
     */
    record Replaceable(String command, String mark, java.util.function.Predicate<String> written, java.util.Set<String> tables) {
    }

    /**
     * Whether {@code name} is one of the files Spark (or the job's own writers) put in a table's
     * folder: {@code part-*.parquet}, {@code _SUCCESS}, the {@code _temporary} folder of a losing
     * speculative task, Parquet's summary files (where {@code parquet.summary.metadata.level}
     * asks for them), or the checksum file of one of them.
     */
    static boolean tableFile(String name) {
        String n = checksummed(name);
        return java.util.Set.of("_SUCCESS", "_temporary", "_metadata", "_common_metadata").contains(n)
                || n.startsWith("part-") && n.endsWith(".parquet");
    }

    /**
     * The file {@code generate} puts beside its Parquet files, which marks its output as its own:
     * empty, as {@code _SUCCESS} is, since polars reads every non-empty file of a folder.
     */
    static final String GENERATED_MARK = "_BANDALIGN_GENERATED";

    /**
     * An output of {@code align}: its {@code _SUMMARY.json} (written last, so every output has
     * it), {@code marginals/}, {@code rejected/}, and the folder a losing speculative task may
     * still write its rejected rows into after the run.
     */
    static final Replaceable ALIGN_OUTPUT = new Replaceable("align", "_SUMMARY.json",
            name -> java.util.Set.of("_SUMMARY.json", "marginals", "rejected", RejectedSink.TASKS_DIR).contains(checksummed(name)),
            java.util.Set.of("marginals", "rejected", RejectedSink.TASKS_DIR));

    /**
     * An output of {@code generate}: Spark's files of a table, its mark, and the {@code _temporary}
     * folder a losing speculative task may still write into after the run.
     */
    static final Replaceable GENERATE_OUTPUT = new Replaceable("generate", GENERATED_MARK,
            name -> tableFile(name) || checksummed(name).equals(GENERATED_MARK), java.util.Set.of());

    /** {@code name}, or the file a Hadoop checksum file of that name is for ({@code .x.crc}: {@code x}). */
    private static String checksummed(String name) {
        return name.length() > 5 && name.startsWith(".") && name.endsWith(".crc") ? name.substring(1, name.length() - 4) : name;
    }

    /**
     * Refuses, with a {@link UserError}, to let {@code --overwrite} replace {@code out} unless it
     * is missing, an empty directory, or an earlier output that {@code what} describes: a
     * mistyped {@code --output} that names a file or a directory of the user's own (a table of
     * theirs, even) must not delete it. Asked again just before the earlier output goes
     * ({@link OutputSwap#publish}), as the run may have taken hours.
     */
    static void checkReplaceable(FileSystem fs, Path out, Replaceable what) throws IOException {
        checkPlace(fs, out);   // (a file is never replaced)
        if (!fs.exists(out)) {
            return;
        }
        FileStatus[] entries = fs.listStatus(out);
        if (entries.length == 0) {
            return;
        }
        List<String> foreign = new ArrayList<>();
        boolean marked = false;
        for (FileStatus entry : entries) {
            String name = entry.getPath().getName();
            marked |= name.equals(what.mark()) && entry.isFile();
            if (!what.written().test(name)) {
                foreign.add(name + (entry.isDirectory() ? "/" : ""));
            } else if (entry.isDirectory() && what.tables().contains(name)) {
                // (found by an operator's walk-through: files of the user's own inside marginals/ went with it)
                for (FileStatus inner : fs.listStatus(entry.getPath())) {
                    if (!tableFile(inner.getPath().getName())) {
                        foreign.add(name + "/" + inner.getPath().getName() + (inner.isDirectory() ? "/" : ""));
                    }
                }
            }
        }
        String refused = "--overwrite replaces only an earlier output of " + what.command() + ", and " + out;
        String kept = "; nothing was deleted: choose another directory, or remove it yourself";
        if (!foreign.isEmpty()) {
            java.util.Collections.sort(foreign);
            String shown = String.join(", ", foreign.subList(0, Math.min(3, foreign.size())))
                    + (foreign.size() > 3 ? " and " + (foreign.size() - 3) + " more" : "");
            throw new UserError(refused + " holds " + shown + ", which " + what.command() + " never writes" + kept);
        }
        if (!marked) {
            throw new UserError(refused + " has no " + what.mark() + ", which every output of " + what.command() + " has"
                    + (what == GENERATE_OUTPUT ? " (since 2026-12-02)" : "") + kept);
        }
    }

    /** The string comparison of {@link #check}: {@code in} and {@code out} qualified. */
    static void checkApart(Path in, Path out, String how) {
        if (!sameFileSystem(in.toUri(), out.toUri())) {
            return;
        }
        String i = pathKey(in);
        String o = pathKey(out);
        if (i.equals(o)) {
            throw new UserError("--output " + out + " is the input " + in + how + "; choose another directory");
        }
        if (i.startsWith(o + "/")) {
            throw new UserError("--output " + out + " holds the input " + in + how + "; choose another directory");
        }
        if (o.startsWith(i + "/")) {
            throw new UserError("--output " + out + " lies inside the input " + in + how
                    + " (a later run would read it as input); choose another directory");
        }
    }

    /**
     * Whether two qualified paths may lie on one file system: the same scheme, and the same host
     * and port, where a missing port matches any ({@code hdfs://nn/x} as given, against
     * {@code hdfs://nn:8020/x} qualified with a {@code fs.defaultFS} that names the port), so the
     * comparison errs towards refusing. Hadoop writes a local path as {@code file:/x} (a glob's
     * matches) or {@code file:///x} ({@code makeQualified}): no authority either way.
     */
    static boolean sameFileSystem(java.net.URI a, java.net.URI b) {
        if (!String.valueOf(a.getScheme()).equalsIgnoreCase(String.valueOf(b.getScheme()))) {
            return false;
        }
        String hostA = a.getHost() != null ? a.getHost() : String.valueOf(a.getAuthority());
        String hostB = b.getHost() != null ? b.getHost() : String.valueOf(b.getAuthority());
        boolean portsMatch = a.getPort() == -1 || b.getPort() == -1 || a.getPort() == b.getPort();
        return hostA.equalsIgnoreCase(hostB) && portsMatch;
    }

    /** A qualified path's path part, normalised, without a trailing slash. */
    private static String pathKey(Path p) {
        return p.toUri().normalize().getPath().replaceAll("/+$", "");
    }

    /**
     * A local path with its symbolic links resolved, as far as it exists (the output usually does
     * not yet: its nearest existing ancestor is resolved and the rest appended); empty for other
     * file systems.
     */
    static Optional<Path> localRealPath(Path p) throws IOException {
        if (!"file".equals(p.toUri().getScheme())) {
            return Optional.empty();
        }
        java.nio.file.Path local = Paths.get(p.toUri().getPath()).normalize();   // (the decoded path: Paths.get(URI) refuses non-ASCII letters left unescaped)
        java.nio.file.Path existing = local;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return Optional.empty();
        }
        java.nio.file.Path real = existing.toRealPath().resolve(existing.relativize(local));
        return Optional.of(new Path(real.toUri()));
    }
}
