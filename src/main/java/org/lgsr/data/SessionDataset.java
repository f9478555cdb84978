package org.lgsr.data;

import java.util.Collections;
import java.util.Map;

/**
 * A loaded session dataset: the training sessions ({@code all_train_seq}), the next-item
 * training samples derived from them, the test samples, and the number of item ids to score
 * ({@code numItems} = largest id + 1; id 0 is padding).
 *
 * @param name       the name it was asked for (e.g. {@code yoochoose64}, {@code synth})
 * @param source     where it came from (a folder, or a description of the generator)
 * @param checksums  sha256 of each file read, by file name (empty for generated data)
 */
public record SessionDataset(String name, String source, Sessions trainSessions, Samples train, Samples test,
                             int numItems, Map<String, String> checksums) {

    public SessionDataset {
        checksums = Collections.unmodifiableMap(checksums);
        int max = Math.max(trainSessions.maxItem(), Math.max(train.inputs().maxItem(), test.inputs().maxItem()));
        for (int t : train.targets()) max = Math.max(max, t);
        for (int t : test.targets()) max = Math.max(max, t);
        if (numItems <= max) {
            throw new IllegalArgumentException("numItems " + numItems + " does not cover item id " + max);
        }
    }

    /** Number of distinct items in the training sessions (the "items" of the paper's Table 1). */
    public int itemsInTraining() {
        java.util.BitSet seen = new java.util.BitSet(numItems);
        for (int v : trainSessions.items()) seen.set(v);
        return seen.cardinality();
    }
}
