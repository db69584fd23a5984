package org.bandalign.job;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Refuses an input directory whose Parquet files Spark would silently leave out: Spark reads a
 * table's files and its partitions (subfolders named {@code key=value}), and skips every other
 * subfolder, so rows kept in {@code in/more/} would be neither aligned nor rejected, nor counted
 * in {@code input_rows}. Only the input's own subfolders are looked at (one listing; a folder's
 * files are listed until the first Parquet file).
 */
final class InputFolders {
    /** Subfolders named in the message at most. */
    private static final int NAMED = 5;

    private InputFolders() {
    }

    /**
     * Throws a UserError where {@code input} is a directory with a subfolder, neither hidden
     * ({@code _} or {@code .}) nor a partition, that holds a {@code .parquet} file.
     */
    static void check(Configuration conf, String input) throws IOException {
        if (input.isEmpty() || input.matches(".*[*?\\[\\]{}].*")) {
            return;   // a glob says which paths it means
        }
        Path path = new Path(input);
        FileSystem fs = path.getFileSystem(conf);
        FileStatus[] children;
        try {
            if (!fs.getFileStatus(path).isDirectory()) {
                return;
            }
            children = fs.listStatus(path);
        } catch (FileNotFoundException e) {
            return;   // reading it says so
        }
        List<String> unread = new ArrayList<>();
        for (FileStatus child : children) {
            String name = child.getPath().getName();
            if (child.isDirectory() && !name.startsWith("_") && !name.startsWith(".") && !name.contains("=")
                    && holdsParquet(fs, child.getPath())) {
                unread.add(name + "/");
            }
        }
        if (!unread.isEmpty()) {
            throw new UserError("--input " + input + ": its subfolder" + (unread.size() > 1 ? "s " : " ")
                    + String.join(", ", unread.subList(0, Math.min(NAMED, unread.size()))) + (unread.size() > NAMED ? ", ..." : "")
                    + (unread.size() > 1 ? " hold" : " holds") + " Parquet files that Spark does not read (only subfolders named key=value are a table's partitions);"
                    + " give them too, as --input '" + input.replaceAll("/+$", "") + "/*', or move their files up");
        }
    }

    private static boolean holdsParquet(FileSystem fs, Path dir) throws IOException {
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
        while (files.hasNext()) {
            String name = files.next().getPath().getName();
            if (name.endsWith(".parquet") && !name.startsWith("_") && !name.startsWith(".")) {
                return true;
            }
        }
        return false;
    }
}
