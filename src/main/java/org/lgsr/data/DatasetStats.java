package org.lgsr.data;

/**
 * The figures of the paper's Table 1 for a dataset.
 *
 * <p>{@code averageLength} is Table 1's "average length": the mean length of a sample's
 * sequence (its input prefix plus its target) over all training and test samples. On the
 * shipped data this gives the published 6.16 (Yoochoose-1/64) and 5.13 (Diginetica); the mean
 * session length is reported beside it.
 */
public record DatasetStats(String name, int trainSamples, int testSamples, int trainSessions, int testSessions,
                           int itemsInTraining, int largestId, double averageLength, double averageSessionLength) {

    public static DatasetStats of(SessionDataset ds) {
        Samples tr = ds.train();
        Samples te = ds.test();
        long sampleItems = tr.inputs().totalItems() + te.inputs().totalItems() + tr.size() + te.size();
        Sessions testSessions = te.toSessions();
        long sessionItems = ds.trainSessions().totalItems() + testSessions.totalItems();
        int sessions = ds.trainSessions().size() + testSessions.size();
        return new DatasetStats(ds.name(), tr.size(), te.size(), ds.trainSessions().size(), testSessions.size(),
                ds.itemsInTraining(), ds.numItems() - 1,
                (double) sampleItems / (tr.size() + te.size()), (double) sessionItems / sessions);
    }
}
