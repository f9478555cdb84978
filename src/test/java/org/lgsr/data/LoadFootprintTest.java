package org.lgsr.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lgsr.TestData;

/** Diginetica, the larger shipped dataset, loads within a 300 MB heap (its load time is a benchmark). */
class LoadFootprintTest {
    @Test
    void digineticaLoadsIn300MegabytesOfHeap() throws Exception {
        assumeTrue(TestData.has("diginetica"), "../shared/data is absent");
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx300m", "-cp", System.getProperty("java.class.path"),
                "org.lgsr.cli.Main", "datasets", "stats", "diginetica", "--data-root", TestData.root().toString()));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("train samples         719470"), out);
    }
}
