package org.lgsr.model.neural;

/**
 * The neural baselines of the paper's Table 2 that {@code lgsr train} can train on the CPU engine
 * (docs/baselines-neural.md): all on the per-prefix samples and scored over all items with softmax
 * cross-entropy, like the LGSR module.
 */
public enum NeuralKind {
    /** STAMP (Liu et al., KDD 2018): attention over the session, trilinear score. */
    STAMP("stamp"),
    /** GRU4Rec (Hidasi et al., ICLR 2016): a GRU over the session, its last state scores every item. */
    GRU4REC("gru4rec"),
    /** NARM (Li et al., CIKM 2017): a GRU, attention over its states, a bilinear decoder. */
    NARM("narm"),
    /** SR-GNN (Wu et al., AAAI 2019): a gated graph network over the session graph, soft-attention readout. */
    SRGNN("srgnn");

    /** The name on the command line ({@code --variant}) and in reports. */
    public final String cliName;

    NeuralKind(String cliName) {
        this.cliName = cliName;
    }

    /** The kind named {@code name}, or null when the name is not a neural baseline. */
    public static NeuralKind byName(String name) {
        for (NeuralKind k : values()) if (k.cliName.equals(name)) return k;
        return null;
    }

    /** Whether the model has a recurrent state of its own width ({@code --hidden}). */
    public boolean hasHidden() {
        return this == NARM;
    }
}
