// jni.cpp: the JNI functions of org.lgsr.gpu.sim.SimNative (all static native).
#include <jni.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "runtime.hpp"

using namespace lgsr_sim;

namespace {
inline void *ptr(jlong a) { return reinterpret_cast<void *>(static_cast<intptr_t>(a)); }
inline jlong addr(const void *p) { return static_cast<jlong>(reinterpret_cast<intptr_t>(p)); }
} // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_org_lgsr_gpu_sim_SimNative_version(JNIEnv *env, jclass) {
    const std::string v = std::string("lgsr-sim 1 (fibers: ") + fiber_kind() + ", " + std::to_string(stack_kb()) +
                          " KB stacks)";
    return env->NewStringUTF(v.c_str());
}

JNIEXPORT jlong JNICALL Java_org_lgsr_gpu_sim_SimNative_alloc(JNIEnv *, jclass, jlong bytes) {
    return addr(device_alloc(bytes));
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_sim_SimNative_free(JNIEnv *, jclass, jlong address) {
    device_free(ptr(address));
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_sim_SimNative_copy(JNIEnv *, jclass, jlong dst, jlong src, jlong bytes) {
    if (bytes > 0) memmove(ptr(dst), ptr(src), (size_t) bytes);
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_sim_SimNative_fromArray(JNIEnv *env, jclass, jlong dst, jobject array,
                                                                 jlong offset, jlong bytes) {
    if (bytes <= 0) return;
    void *a = env->GetPrimitiveArrayCritical(static_cast<jarray>(array), nullptr);
    if (!a) return; // OutOfMemoryError pending
    memcpy(ptr(dst), static_cast<char *>(a) + offset, (size_t) bytes);
    env->ReleasePrimitiveArrayCritical(static_cast<jarray>(array), a, JNI_ABORT);
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_sim_SimNative_toArray(JNIEnv *env, jclass, jobject array, jlong offset,
                                                               jlong src, jlong bytes) {
    if (bytes <= 0) return;
    void *a = env->GetPrimitiveArrayCritical(static_cast<jarray>(array), nullptr);
    if (!a) return;
    memcpy(static_cast<char *>(a) + offset, ptr(src), (size_t) bytes);
    env->ReleasePrimitiveArrayCritical(static_cast<jarray>(array), a, 0);
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_sim_SimNative_fill32(JNIEnv *, jclass, jlong dst, jint bits, jlong count) {
    uint32_t *p = static_cast<uint32_t *>(ptr(dst));
    const uint32_t v = (uint32_t) bits;
    for (jlong i = 0; i < count; i++) p[i] = v;
}

JNIEXPORT jobject JNICALL Java_org_lgsr_gpu_sim_SimNative_wrap(JNIEnv *env, jclass, jlong address, jlong bytes) {
    return env->NewDirectByteBuffer(ptr(address), bytes);
}

JNIEXPORT jint JNICALL Java_org_lgsr_gpu_sim_SimNative_kernelCount(JNIEnv *, jclass) {
    return (jint) kernels().size();
}

JNIEXPORT jstring JNICALL Java_org_lgsr_gpu_sim_SimNative_kernelName(JNIEnv *env, jclass, jint i) {
    const auto &k = kernels();
    if (i < 0 || (size_t) i >= k.size()) return nullptr;
    return env->NewStringUTF(k[(size_t) i]->name);
}

JNIEXPORT jlong JNICALL Java_org_lgsr_gpu_sim_SimNative_function(JNIEnv *env, jclass, jstring name) {
    if (!name) return 0;
    const char *n = env->GetStringUTFChars(name, nullptr);
    if (!n) return 0;
    const KernelInfo *k = find_kernel(n);
    env->ReleaseStringUTFChars(name, n);
    return addr(k);
}

JNIEXPORT jstring JNICALL Java_org_lgsr_gpu_sim_SimNative_signature(JNIEnv *env, jclass, jlong function) {
    const KernelInfo *k = static_cast<const KernelInfo *>(ptr(function));
    return k ? env->NewStringUTF(k->signature) : nullptr;
}

JNIEXPORT jstring JNICALL Java_org_lgsr_gpu_sim_SimNative_launch(JNIEnv *env, jclass, jlong function, jint grid_x,
                                                                 jint block_x, jint shared_bytes, jlongArray args,
                                                                 jint threads) {
    const KernelInfo *k = static_cast<const KernelInfo *>(ptr(function));
    std::string error;
    if (!args) {
        error = "launch without an argument array";
    } else {
        const jsize n = env->GetArrayLength(args);
        std::string bits((size_t) n * sizeof(jlong), '\0');
        if (n > 0) env->GetLongArrayRegion(args, 0, n, reinterpret_cast<jlong *>(&bits[0]));
        error = launch(k, grid_x, block_x, shared_bytes, reinterpret_cast<const uint64_t *>(bits.data()), n, threads);
    }
    return error.empty() ? nullptr : env->NewStringUTF(error.c_str());
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_sim_SimNative_sgemm(JNIEnv *, jclass, jboolean trans_a, jboolean trans_b,
                                                             jint m, jint n, jint k, jfloat alpha, jlong a, jint lda,
                                                             jlong b, jint ldb, jfloat beta, jlong c, jint ldc) {
    sgemm_strided_batched(trans_a, trans_b, m, n, k, alpha, static_cast<const float *>(ptr(a)), lda, 0,
                          static_cast<const float *>(ptr(b)), ldb, 0, beta, static_cast<float *>(ptr(c)), ldc, 0, 1);
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_sim_SimNative_sgemmStridedBatched(
    JNIEnv *, jclass, jboolean trans_a, jboolean trans_b, jint m, jint n, jint k, jfloat alpha, jlong a, jint lda,
    jlong stride_a, jlong b, jint ldb, jlong stride_b, jfloat beta, jlong c, jint ldc, jlong stride_c, jint batch) {
    sgemm_strided_batched(trans_a, trans_b, m, n, k, alpha, static_cast<const float *>(ptr(a)), lda, stride_a,
                          static_cast<const float *>(ptr(b)), ldb, stride_b, beta, static_cast<float *>(ptr(c)), ldc,
                          stride_c, batch);
}

} // extern "C"
