package org.bandalign.job;

/**
 * Which signal, if any, stopped the command: SIGINT (Ctrl-C), SIGTERM (kill, a scheduler) or
 * SIGHUP (the terminal closed), so that the closing words of a stopped run say the user's own
 * signal stopped it rather than guess at a task out of memory (which in local mode ends the JVM
 * through the same shutdown hooks, with exit code 52). Each handler notes the signal, then hands it to the handler it replaced
 * (the JVM's own, which runs the shutdown hooks), so the run stops exactly as before.
 */
final class StopSignals {
    private static volatile String received;

    private StopSignals() {
    }

    /** Notes SIGINT, SIGTERM and SIGHUP from now on; where the JVM does not let a signal be handled (-Xrs), that one is left alone. */
    @SuppressWarnings("restriction")
    static void install() {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            try {
                sun.misc.Signal signal = new sun.misc.Signal(name);
                sun.misc.SignalHandler[] before = new sun.misc.SignalHandler[1];
                before[0] = sun.misc.Signal.handle(signal, s -> {
                    sun.misc.SignalHandler previous = before[0];
                    if (previous == sun.misc.SignalHandler.SIG_IGN) {
                        return;   // (ignored before, as under nohup: still ignored)
                    }
                    received = "SIG" + s.getName();
                    if (previous != null && previous != sun.misc.SignalHandler.SIG_DFL) {
                        previous.handle(s);
                    } else {
                        Runtime.getRuntime().exit(128 + s.getNumber());   // (as the JVM's own handler: the shutdown hooks run)
                    }
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // (the signal is the JVM's own, or ignored as with nohup: nothing to note)
            }
        }
    }

    /** {@return "SIGINT", "SIGTERM" or "SIGHUP" once one arrived, else null} */
    static String received() {
        return received;
    }
}
