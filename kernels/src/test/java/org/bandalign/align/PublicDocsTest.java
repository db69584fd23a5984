package org.bandalign.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's Javadoc builds, as a user's {@code javadoc} or {@code maven-javadoc-plugin} run
 * would build it: no broken {@code {@link}}, no bad HTML, and a comment on every public type,
 * constructor and method of the packages users call. (A broken link fails a javadoc jar's build;
 * one was found by a library user's probe.) {@code @return} and {@code @param} tags are not
 * asked for: the one-line comments say what a method gives.
 */
class PublicDocsTest {
    private static final List<String> PACKAGES = List.of(
            "org.bandalign.align", "org.bandalign.banded", "org.bandalign.cuda", "org.bandalign.cpu");

    @Test
    void javadoc_publicPackages_buildsWithoutErrors_andEveryPublicMemberHasAComment(@TempDir Path out) throws Exception {
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from the kernels module: " + sources.toAbsolutePath());
        List<String> problems = new ArrayList<>();
        List<String> options = new ArrayList<>(List.of("-quiet", "-d", out.toString(), "-Xdoclint:all", "-Xmaxwarns", "10000",
                "-Xmaxerrs", "10000", "-sourcepath", sources.toString(), "-classpath", System.getProperty("java.class.path")));
        options.addAll(PACKAGES);
        StringWriter log = new StringWriter();
        Boolean ok = javadoc.getTask(log, null, (Diagnostic<? extends JavaFileObject> d) -> {
            String message = d.getMessage(Locale.ROOT);
            boolean tagOnly = d.getKind() == Diagnostic.Kind.WARNING && message.startsWith("no @");
            if (!tagOnly && d.getKind() != Diagnostic.Kind.NOTE && d.getKind() != Diagnostic.Kind.OTHER) {
                problems.add((d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName() + ":" + d.getLineNumber() + ": ")
                        + d.getKind() + ": " + message);
            }
        }, null, options, null).call();
        assertEquals(List.of(), problems, "javadoc's errors and warnings other than missing tags");
        assertTrue(ok, "javadoc failed: " + log);
        assertTrue(Files.exists(out.resolve("org/bandalign/align/Aligner.html")), "no page for Aligner under " + out);
    }
}
