/**
 * The global module (MODEL.md 3): cross-session item graph, walk corpus, skip-gram pairs and
 * the TF {@code nce_loss} encoder, CPU reference.
 *
 * <p>Pipeline for a trainer:
 * <pre>
 *   ItemGraph g = ItemGraph.build(data.trainSessions(), data.numItems());
 *   Sessions walks = RandomWalks.generate(g, RandomWalks.Config.defaults().withSeed(seed));  // once [code]
 *   GlobalEncoder enc = new GlobalEncoder(g, GlobalEncoder.Config.defaults().withSeed(seed));
 *   // per L_g pass p (g = 2 per epoch), E shared with the recommendation module:
 *   PassStats st = enc.trainPass(walks, p, params, eOffset, grads, eOffset, lr, eStep, Long.MAX_VALUE);
 * </pre>
 * {@code eStep} ({@link org.lgsr.graph.EmbeddingStep}) applies the optimizer to E after each
 * batch; {@link org.lgsr.graph.EmbeddingAdam} is a ready one (own TF Adam state for E, dense
 * or lazy). Determinism: every random choice comes from a counter-based stream keyed by
 * (seed, round/pass/step, index), and every parallel reduction has a fixed order, so results
 * do not depend on the thread count.
 */
package org.lgsr.graph;
