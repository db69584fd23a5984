package org.bandalign.job;

import java.io.IOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The command line's paths as Hadoop takes them, with its two surprises said in one line each
 * (an adversarial input probe and a review found both):
 * <ul>
 * <li>A file or folder named with a ':' ({@code run-12:00}): Hadoop reads the ':' as the end of
 * a URI scheme (HADOOP-3257), so a relative path with one does not parse, and an absolute one
 * parses but cannot be listed or globbed through ("Relative path in absolute URI").</li>
 * <li>An input path is a glob pattern: {@code *}, {@code ?}, {@code [}, {@code ]}, {@code {}
 * and {@code }} in a folder's name must be escaped with a backslash, or the pattern matches
 * nothing ("does not exist"), or matches another folder ({@code run[1]} reads {@code run1}).</li>
 * </ul>
 */
final class HadoopPaths {
    private HadoopPaths() {
    }

    /** {@code value} of flag {@code flag} as a Hadoop path; a UserError where Hadoop cannot take it apart. */
    static Path parse(String flag, String value) {
        try {
            return new Path(value);
        } catch (IllegalArgumentException e) {
            throw colonInName(flag, value, e);
        }
    }

    /**
     * {@code value} of flag {@code flag}, the output of a command, as a Hadoop path: one with a
     * ':' in a file or folder name is refused, as neither plot nor a later align could read it.
     */
    static Path output(String flag, String value) {
        Path p = parse(flag, value);
        String path = p.toUri().getPath();
        if (path != null && path.contains(":")) {
            throw new UserError(flag + " " + value + ": Hadoop cannot read back a file or folder named with a ':' (it reads the"
                    + " ':' as the end of a URI scheme); name it without the ':'");
        }
        return p;
    }

    /**
     * What input pattern {@code value} of flag {@code flag} matches on {@code fs}: refused where
     * it matches nothing ("does not exist", or how to escape a name that holds pattern
     * characters), where a name on its way holds a ':', and where it matches other paths than
     * the file or folder of that very name that exists too.
     */
    static FileStatus[] matchInput(FileSystem fs, String flag, String value) throws IOException {
        Path in = parse(flag, value);
        FileStatus[] matched;
        try {
            matched = fs.globStatus(in);   // (null for a missing path, none for a glob matching nothing)
        } catch (IllegalArgumentException e) {
            throw colonInName(flag, value, e);
        }
        String escaped = escapeGlob(value);
        boolean literal = !escaped.equals(value) && fs.exists(in);   // (exists() takes the name as it is)
        if (matched == null || matched.length == 0) {
            if (literal) {
                throw new UserError(flag + " " + value + " is read as a glob pattern and matches nothing, yet a file or folder"
                        + " of that very name exists: put a backslash before each of * ? [ ] { } in it (" + escaped + ")");
            }
            throw new UserError(flag + " " + value + " does not exist");
        }
        if (literal && !(matched.length == 1 && fs.makeQualified(in).equals(fs.makeQualified(matched[0].getPath())))) {
            throw new UserError(flag + " " + value + " is read as a glob pattern, which matches " + matched[0].getPath()
                    + (matched.length > 1 ? " and " + (matched.length - 1) + " more" : "") + ", yet a file or folder of that very"
                    + " name exists too: to read it, put a backslash before each of * ? [ ] { } in it (" + escaped
                    + "); to read what the pattern matches, rename it");
        }
        return matched;
    }

    /** {@code value} with a backslash before each of Hadoop's glob characters. */
    static String escapeGlob(String value) {
        return value.replaceAll("([*?\\[\\]{}])", "\\\\$1");
    }

    /**
     * The UserError for {@code e}, where a file or folder named with a ':' made Hadoop fail
     * "Relative path in absolute URI"; {@code e} itself otherwise.
     */
    static RuntimeException colonInName(String flag, String value, IllegalArgumentException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.URISyntaxException u && u.getInput() != null && u.getInput().contains(":")) {
                return new UserError(flag + " " + value + ": Hadoop cannot take a file or folder named with a ':' ('" + u.getInput()
                        + "': it reads the ':' as the end of a URI scheme) on the path or where a glob pattern in it looks;"
                        + " rename it without the ':'", e);
            }
        }
        return e;
    }
}
