package org.bandalign.job;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Refuses an input whose Parquet files Spark would silently leave out, so that no row is
 * neither aligned nor rejected nor counted in {@code input_rows}. Spark reads, in each folder
 * the input names (the folder itself, or each folder a glob matches):
 * <ul>
 * <li>without partitions, the folder's own files, not those of its subfolders;</li>
 * <li>with partitions (subfolders named {@code key=value}), the files under the partitions,
 * not the folder's own files beside them.</li>
 * </ul>
 * Hidden files and folders ({@code _} or {@code .}) are no one's. A file is Parquet where its
 * name ends in {@code .parquet} or, for other names (Hive's {@code 000000_0}), where it starts
 * with Parquet's magic bytes; at most {@value #MAGIC_READS} files are opened for that.
 */
final class InputFolders {
    /** Folders or files named in the message at most. */
    private static final int NAMED = 5;
    /** Files without a .parquet name opened for their magic bytes at most, in one check. */
    static final int MAGIC_READS = 64;

    private final FileSystem fs;
    private final String input;
    /** The folders and files the input names (a glob's matches), each checked on its own. */
    private final java.util.Set<Path> named = new java.util.HashSet<>();
    private int magicReads;

    private InputFolders(FileSystem fs, String input) {
        this.fs = fs;
        this.input = input;
    }

    /**
     * Throws a UserError where a folder {@code input} names holds Parquet files that Spark
     * would not read (the class comment says which).
     */
    static void check(Configuration conf, String input) throws IOException {
        if (input.isEmpty()) {
            return;
        }
        Path path = new Path(input);
        FileSystem fs = path.getFileSystem(conf);
        boolean glob = input.matches(".*[*?\\[\\]{}].*");
        FileStatus[] named;
        try {
            named = glob ? fs.globStatus(path) : new FileStatus[] {fs.getFileStatus(path)};
        } catch (FileNotFoundException e) {
            return;   // reading it says so
        }
        if (named == null) {
            return;
        }
        InputFolders folders = new InputFolders(fs, input);
        for (FileStatus status : named) {
            folders.named.add(status.getPath());
        }
        for (FileStatus folder : named) {
            if (folder.isDirectory() && !hidden(folder.getPath().getName())) {
                folders.checkFolder(folder.getPath(), glob);
            }
        }
    }

    private void checkFolder(Path folder, boolean glob) throws IOException {
        FileStatus[] children = fs.listStatus(folder);
        Arrays.sort(children);   // (named in a stable order)
        boolean partitioned = Arrays.stream(children).anyMatch(c -> c.isDirectory() && partition(c.getPath().getName()));
        List<String> unreadFolders = new ArrayList<>();
        List<String> besidePartitions = new ArrayList<>();
        for (FileStatus child : children) {
            String name = child.getPath().getName();
            if (hidden(name) || named.contains(child.getPath())) {
                continue;
            }
            if (child.isDirectory() && !partition(name) && holdsParquet(child.getPath())) {
                unreadFolders.add(name + "/");
            } else if (!child.isDirectory() && partitioned && isParquet(child)) {
                besidePartitions.add(name);
            }
        }
        String where = glob ? "--input " + input + ": the folder " + folder + " (one the glob names)" : "--input " + input;
        if (!unreadFolders.isEmpty()) {
            throw new UserError(where + ": its subfolder" + (unreadFolders.size() > 1 ? "s " : " ") + named(unreadFolders)
                    + (unreadFolders.size() > 1 ? " hold" : " holds") + " Parquet files that Spark does not read (only subfolders named"
                    + " key=value are a table's partitions)" + (glob
                    ? "; name them in the glob too (it reads the files of the folders it names, not of their subfolders), or move"
                    + " their files up"
                    : "; give them too, as --input '" + input.replaceAll("/+$", "") + "/*', or move their files up"));
        }
        if (!besidePartitions.isEmpty()) {
            String partitions = Arrays.stream(children).filter(c -> c.isDirectory() && partition(c.getPath().getName()))
                    .map(c -> c.getPath().getName() + "/").limit(2).reduce((a, b) -> a + ", " + b).orElseThrow();
            throw new UserError(where + ": the Parquet file" + (besidePartitions.size() > 1 ? "s " : " ") + named(besidePartitions)
                    + (besidePartitions.size() > 1 ? " lie" : " lies") + " beside its partition folders (" + partitions
                    + " ...), and Spark reads only the files in partitions; move " + (besidePartitions.size() > 1 ? "them" : "it")
                    + " into a partition folder, or align " + (besidePartitions.size() > 1 ? "them" : "it") + " as an input of its own");
        }
    }

    /** Whether a visible file lies in {@code dir} or in one of its visible folders, at any depth. */
    private boolean holdsParquet(Path dir) throws IOException {
        FileStatus[] children = fs.listStatus(dir);
        Arrays.sort(children);
        for (FileStatus child : children) {
            if (!hidden(child.getPath().getName()) && !child.isDirectory() && isParquet(child)) {
                return true;
            }
        }
        for (FileStatus child : children) {
            if (!hidden(child.getPath().getName()) && child.isDirectory() && holdsParquet(child.getPath())) {
                return true;
            }
        }
        return false;
    }

    /** A .parquet name, or Parquet's magic bytes at the start of a file of some other name (within the reads allowed). */
    private boolean isParquet(FileStatus file) throws IOException {
        if (file.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
            return true;
        }
        if (file.getLen() < 12 || magicReads >= MAGIC_READS) {   // (magic, footer length, magic: 12 bytes at least)
            return false;
        }
        magicReads++;
        byte[] head = new byte[4];
        try (FSDataInputStream in = fs.open(file.getPath())) {
            in.readFully(0, head);
        } catch (IOException e) {   // (unreadable: reading the input says so, if Spark reads it)
            return false;
        }
        return Arrays.equals(head, MAGIC);
    }

    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};

    private static boolean hidden(String name) {
        return name.startsWith("_") || name.startsWith(".");
    }

    private static boolean partition(String name) {
        return name.contains("=");
    }

    private static String named(List<String> names) {
        return String.join(", ", names.subList(0, Math.min(NAMED, names.size()))) + (names.size() > NAMED ? ", ..." : "");
    }
}
