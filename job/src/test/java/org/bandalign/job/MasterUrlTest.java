package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MasterUrlTest {

    @Test
    void problem_theUrlsSparkKnows_pass() {
        for (String ok : new String[] {"local", "local[1]", "local[16]", "local[*]", "local[2,3]", "local[*, 4]",
                "local-cluster[2, 1, 1024]", "spark://h:7077", "spark://h1:7077,h2:7077"}) {
            assertNull(MasterUrl.problem(ok), ok);
        }
    }

    @Test
    void problem_zeroThreadsOrAnUnknownUrl_isSaidInSparksWords() {
        assertEquals("Asked to run locally with 0 threads", MasterUrl.problem("local[0]"));
        assertEquals("Asked to run locally with 0 threads", MasterUrl.problem("local[0, 2]"));
        for (String bad : new String[] {"foo://bar", "local[-1]", "local[2", "lokal[2]", "yarn", "k8s://https://h:6443", ""}) {
            assertEquals("Could not parse Master URL: '" + bad + "'", MasterUrl.problem(bad), bad);
        }
    }

    @Test
    void inProcess_localMastersOnly() {
        for (String local : new String[] {"local", "local[1]", "local[*]", "local[2,3]", " local[*, 4] "}) {
            assertTrue(MasterUrl.inProcess(local), local);
        }
        for (String cluster : new String[] {"local-cluster[2, 1, 1024]", "spark://h:7077", "yarn", "k8s://https://h:6443"}) {
            assertFalse(MasterUrl.inProcess(cluster), cluster);
        }
    }

    /** Found by a maintainability review: the job's own parse took no blanks, so local[4, 2] read with one task slot. */
    @Test
    void localThreads_asSparkCountsThem_blanksAllowed() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(1, MasterUrl.localThreads("local"));
        assertEquals(8, MasterUrl.localThreads("local[8]"));
        assertEquals(3, MasterUrl.localThreads("local[3,2]"));
        assertEquals(4, MasterUrl.localThreads(" local[4, 2] "));
        assertEquals(cores, MasterUrl.localThreads("local[*]"));
        assertEquals(cores, MasterUrl.localThreads("local[*, 4]"));
        assertEquals(Integer.MAX_VALUE, MasterUrl.localThreads("local[99999999999]"));
        assertEquals(4, MasterUrl.localThreads("local[0000000004]"), "as Spark reads it");
        assertEquals(1, MasterUrl.localThreads("spark://h:7077"));
        assertEquals(1, MasterUrl.localThreads("local-cluster[2, 1, 1024]"));
    }
}
