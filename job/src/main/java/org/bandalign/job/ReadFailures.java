package org.bandalign.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a failure to read an input file should add to the one line that reports it: the file
 * (Spark names it in its own wrapper, while the cause the line shows, such as "Read past End of
 * File", does not), and, where the failure is a checksum's or an early end of the file and
 * Hadoop's local file system checked the file against a hidden checksum file beside it
 * ({@code .NAME.crc}, which Spark writes with its output), that this file may be stale: a file
 * written again after Spark wrote it (by pyarrow, say, under the same name) keeps the old
 * checksums, and every read of it then fails (an adversarial input probe); otherwise, the
 * setting that leaves a corrupt file out.
 */
final class ReadFailures {
    /** Spark's words for a file a task could not read, with the file as a URI (escaped: a blank is %20). */
    private static final Pattern FAILED_READ = Pattern.compile("\\[FAILED_READ_FILE[^\\]]*\\][^\\n]*?([a-zA-Z][\\w+.-]*:/\\S+)");
    /** Hadoop's words for a checksum that does not match, with the file as a path (blanks as they are). */
    private static final Pattern CHECKSUM_ERROR = Pattern.compile("Checksum error: (file:/.*?) at \\d+ exp:");
    /** A local file named in parquet-mr's or Hadoop's words. */
    private static final Pattern LOCAL_FILE = Pattern.compile("file:/\\S+");

    /**
     * Where a task could not read a file: how to align the other files' rows without it (an
     * adversarial input probe: one scrambled page header ended the run, and the line said
     * nothing of the setting that skips such a file).
     */
    static final String SKIP_CORRUPT = "; if that file is corrupt, --conf " + AlignJob.IGNORE_CORRUPT_FILES
            + "=true skips the rest of it and aligns the other files";

    private ReadFailures() {
    }

    /** The words to add to {@code shown}, the failure's message that the line shows ("" for none). */
    static String hint(Throwable e, String shown) {
        return hint(e, shown, false);
    }

    /**
     * As {@link #hint(Throwable, String)}, and where {@code align} (the failure is an align run's)
     * and the failure is a file's corruption as Parquet or Hadoop words it (not a file missing,
     * nor a checksum file that explains it), {@link #SKIP_CORRUPT}.
     */
    static String hint(Throwable e, String shown, boolean align) {
        String file = null;
        String path = null;
        boolean checksumOrEnd = false;
        boolean corrupt = false;
        boolean missing = false;
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            checksumOrEnd |= t instanceof org.apache.hadoop.fs.ChecksumException || t instanceof java.io.EOFException
                    || m.startsWith("Checksum");
            corrupt |= t instanceof org.apache.parquet.io.ParquetDecodingException || t instanceof java.io.EOFException
                    || m.contains("can not read class org.apache.parquet.format") || m.contains("is not a Parquet file");
            missing |= t instanceof java.io.FileNotFoundException;
            Matcher read = FAILED_READ.matcher(m);
            if (file == null && read.find()) {
                file = trim(read.group(1));
                path = uriPath(file);
            }
        }
        boolean named = false;
        if (file == null) {   // (a footer's error names its file in parquet-mr's or Hadoop's words)
            String text = String.valueOf(shown);
            Matcher checksum = CHECKSUM_ERROR.matcher(text);
            Matcher local = LOCAL_FILE.matcher(text);
            if (checksum.find()) {
                file = checksum.group(1);
            } else if (local.find()) {
                file = trim(local.group());
            } else {
                return "";
            }
            path = file.replaceFirst("^file:/+", "/");
            named = true;
        }
        String where = named ? "" : "reading " + file;
        String crc = checksumOrEnd ? checksumFile(path) : null;
        if (crc == null) {
            String skip = align && corrupt && !missing ? SKIP_CORRUPT : "";
            return where.isEmpty() ? (skip.isEmpty() ? "" : " (" + skip.substring(2) + ")") : " (" + where + skip + ")";
        }
        return " (" + (where.isEmpty() ? "" : where + "; ") + "beside it lies " + crc + ", a checksum file that Hadoop's local file "
                + "system checks it against: if the file was written again after Spark wrote it, that checksum file is stale and "
                + "every read fails; delete it)";
    }

    /** The local path of a {@code file:} URI, unescaped; null for another scheme or a URI that does not parse. */
    private static String uriPath(String uri) {
        try {
            java.net.URI u = new java.net.URI(uri);
            return "file".equalsIgnoreCase(u.getScheme()) ? u.getPath() : null;
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** The hidden checksum file beside the local file {@code path}, where there is one, else null. */
    static String checksumFile(String path) {
        if (path == null) {
            return null;
        }
        try {
            Path p = Path.of(path);
            Path crc = p.resolveSibling("." + p.getFileName() + ".crc");
            return Files.exists(crc) ? crc.toString() : null;
        } catch (RuntimeException e) {   // (a name the platform cannot take as a path)
            return null;
        }
    }

    /** The file's name without the sentence's closing period or other punctuation after it. */
    private static String trim(String file) {
        return file.replaceAll("[.,;:)\\]]+$", "");
    }
}
