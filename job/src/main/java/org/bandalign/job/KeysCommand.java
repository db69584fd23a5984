package org.bandalign.job;

import picocli.CommandLine.Command;

/** {@code keys}: prints every configuration key with its type, default and description (Markdown). */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "List the job's configuration keys as a Markdown table.")
public final class KeysCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("| key | type | default | description |");
        System.out.println("|---|---|---|---|");
        for (JobKey<?> k : JobKeys.all()) {
            System.out.println("| `" + k.name() + "` | " + k.type() + " | " + k.defaultValue() + " | " + k.description() + " |");
        }
    }
}
