package org.bandalign.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a failure to read an input file should add to the one line that reports it: the file
 * (Spark names it in its own wrapper, while the cause the line shows, such as "Read past End of
 * File", does not), and where Hadoop's local file system checked the file against a hidden
 * checksum file beside it ({@code .NAME.crc}, which Spark writes with its output), that this file
 * may be stale: a file written again after Spark wrote it (by pyarrow, say, under the same
 * name) keeps the old checksums, and every read of it then fails (an adversarial input probe).
 */
final class ReadFailures {
    /** Spark's words for a file a task could not read, with the file. */
    private static final Pattern FAILED_READ = Pattern.compile("\\[FAILED_READ_FILE[^\\]]*\\][^\\n]*?([a-zA-Z][\\w+.-]*:/\\S+)");
    /** A local file named in Hadoop's or parquet-mr's words. */
    private static final Pattern LOCAL_FILE = Pattern.compile("file:(/\\S+)");

    private ReadFailures() {
    }

    /** The words to add to {@code shown}, the failure's message that the line shows ("" for none). */
    static String hint(Throwable e, String shown) {
        String file = null;
        boolean named = false;
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            Matcher m = FAILED_READ.matcher(String.valueOf(t.getMessage()));
            if (m.find()) {
                file = trim(m.group(1));
                break;
            }
        }
        if (file == null) {   // (a footer's error names its file in parquet-mr's or Hadoop's words)
            Matcher m = LOCAL_FILE.matcher(String.valueOf(shown));
            if (!m.find()) {
                return "";
            }
            file = trim(m.group(0));
            named = true;
        }
        named |= shown != null && shown.contains(localPath(file));
        String crc = staleChecksum(file);
        String where = named ? "" : "reading " + file;
        if (crc == null) {
            return where.isEmpty() ? "" : " (" + where + ")";
        }
        return " (" + (where.isEmpty() ? "" : where + "; ") + "beside it lies " + crc + ", a checksum file that Hadoop's local file "
                + "system checks it against: if the file was written again after Spark wrote it, that checksum file is stale and "
                + "every read fails; delete it)";
    }

    /** The hidden checksum file beside a local {@code file}, where there is one, else null. */
    static String staleChecksum(String file) {
        if (!file.startsWith("file:")) {
            return null;
        }
        try {
            Path p = Path.of(localPath(file));
            Path crc = p.resolveSibling("." + p.getFileName() + ".crc");
            return Files.exists(crc) ? crc.toString() : null;
        } catch (RuntimeException e) {   // (a name the platform cannot take as a path)
            return null;
        }
    }

    /** {@code file:///a/b} and {@code file:/a/b} as {@code /a/b}. */
    private static String localPath(String file) {
        return file.replaceFirst("^file:/+", "/");
    }

    /** The file's name without the sentence's closing period or other punctuation after it. */
    private static String trim(String file) {
        return file.replaceAll("[.,;:)\\]]+$", "");
    }
}
