/*
 * lgsr_native: the JNI bridge from org.lgsr.gpu.CublasNative to cuBLAS and NVTX.
 *
 * Built with gcc on every machine; needs no CUDA header or library at build time:
 *  - cuBLAS is opened at run time with dlopen ("libcublas.so.13", then "libcublas.so.12"),
 *    and the six entry points we use are declared here with the documented types and enum
 *    values (cublas_api.h). Device memory and streams are raw addresses (jlong) made by the
 *    CUDA driver API on the Java side (JCuda), in the device's primary context, which the
 *    runtime API used by cuBLAS shares.
 *  - NVTX v3 ranges are compiled in when the header-only NVTX v3 headers were found at
 *    configure time (LGSR_HAVE_NVTX3); NVTX itself then dlopens the injection library named
 *    by NVTX_INJECTION64_PATH (set by Nsight Systems / Compute) and is a no-op otherwise.
 *    Without the headers, push/pop are no-ops and nvtxAvailable() answers false.
 */
#include <jni.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef LGSR_HAVE_NVTX3
#include <nvtx3/nvToolsExt.h>
#endif

/* ---- cuBLAS types and values, as documented (cublas_api.h, library_types.h) ---- */
typedef int cublasStatus_t;      /* CUBLAS_STATUS_SUCCESS = 0 */
typedef void *cublasHandle_t;    /* opaque struct cublasContext * */
typedef void *cudaStream_t;      /* opaque struct CUstream_st *, the same as the driver's CUstream */
typedef int cublasOperation_t;   /* CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 */
typedef int cublasMath_t;        /* CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3 */

typedef cublasStatus_t (*cublasCreate_t)(cublasHandle_t *handle);
typedef cublasStatus_t (*cublasDestroy_t)(cublasHandle_t handle);
typedef cublasStatus_t (*cublasSetStream_t)(cublasHandle_t handle, cudaStream_t stream);
typedef cublasStatus_t (*cublasSetMathMode_t)(cublasHandle_t handle, cublasMath_t mode);
typedef cublasStatus_t (*cublasSgemm_t)(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                        int m, int n, int k, const float *alpha, const float *A, int lda,
                                        const float *B, int ldb, const float *beta, float *C, int ldc);
typedef cublasStatus_t (*cublasSgemmStridedBatched_t)(cublasHandle_t handle, cublasOperation_t transa,
                                                      cublasOperation_t transb, int m, int n, int k,
                                                      const float *alpha, const float *A, int lda, long long strideA,
                                                      const float *B, int ldb, long long strideB, const float *beta,
                                                      float *C, int ldc, long long strideC, int batchCount);

static void *cublas_lib;
static char cublas_name[64];
static cublasCreate_t p_create;
static cublasDestroy_t p_destroy;
static cublasSetStream_t p_setStream;
static cublasSetMathMode_t p_setMathMode;
static cublasSgemm_t p_sgemm;
static cublasSgemmStridedBatched_t p_sgemmBatched;

static const char *status_name(cublasStatus_t s) {
    switch (s) {
        case 0: return "CUBLAS_STATUS_SUCCESS";
        case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
        case 7: return "CUBLAS_STATUS_INVALID_VALUE";
        case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
        case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
        case 16: return "CUBLAS_STATUS_LICENSE_ERROR";
        default: return "unknown cuBLAS status";
    }
}

static void throw_cuda(JNIEnv *env, const char *msg) {
    jclass cls = (*env)->FindClass(env, "org/lgsr/gpu/CudaException");
    if (cls == NULL) return; /* NoClassDefFoundError already pending */
    (*env)->ThrowNew(env, cls, msg);
}

/* Returns 1 when the call succeeded, else throws "call failed: STATUS (code)" and returns 0. */
static int check(JNIEnv *env, cublasStatus_t s, const char *call) {
    if (s == 0) return 1;
    char msg[256];
    snprintf(msg, sizeof msg, "%s failed: %s (%d)", call, status_name(s), s);
    throw_cuda(env, msg);
    return 0;
}

static int loaded(JNIEnv *env) {
    if (cublas_lib != NULL) return 1;
    throw_cuda(env, "cuBLAS is not loaded (call CublasNative.load first)");
    return 0;
}

static void *sym(const char *a, const char *b) {
    void *p = dlsym(cublas_lib, a);
    if (p == NULL && b != NULL) p = dlsym(cublas_lib, b);
    return p;
}

/* static native String load(): null when cuBLAS is loaded, else one line naming what was searched. */
JNIEXPORT jstring JNICALL Java_org_lgsr_gpu_CublasNative_load(JNIEnv *env, jclass cls) {
    (void) cls;
    if (cublas_lib != NULL) return NULL;
    static const char *names[] = {"libcublas.so.13", "libcublas.so.12"};
    char why[1024];
    why[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (h != NULL) {
            cublas_lib = h;
            snprintf(cublas_name, sizeof cublas_name, "%s", names[i]);
            break;
        }
        const char *e = dlerror();
        size_t used = strlen(why);
        snprintf(why + used, sizeof why - used, "%s%s: %s", used ? "; " : "", names[i], e ? e : "not found");
    }
    if (cublas_lib == NULL) {
        const char *lp = getenv("LD_LIBRARY_PATH");
        char msg[1400];
        snprintf(msg, sizeof msg,
                 "cuBLAS not found: dlopen of libcublas.so.13 and libcublas.so.12 failed (%s); "
                 "searched the system library path and LD_LIBRARY_PATH=%s",
                 why, lp ? lp : "(unset)");
        for (char *c = msg; *c; c++) if (*c == '\n') *c = ' ';
        return (*env)->NewStringUTF(env, msg);
    }
    p_create = (cublasCreate_t) sym("cublasCreate_v2", "cublasCreate");
    p_destroy = (cublasDestroy_t) sym("cublasDestroy_v2", "cublasDestroy");
    p_setStream = (cublasSetStream_t) sym("cublasSetStream_v2", "cublasSetStream");
    p_setMathMode = (cublasSetMathMode_t) sym("cublasSetMathMode", NULL);
    p_sgemm = (cublasSgemm_t) sym("cublasSgemm_v2", "cublasSgemm");
    p_sgemmBatched = (cublasSgemmStridedBatched_t) sym("cublasSgemmStridedBatched", NULL);
    if (!p_create || !p_destroy || !p_setStream || !p_setMathMode || !p_sgemm || !p_sgemmBatched) {
        char msg[256];
        snprintf(msg, sizeof msg, "cuBLAS (%s) lacks an entry point: cublasCreate_v2, cublasDestroy_v2, "
                 "cublasSetStream_v2, cublasSetMathMode, cublasSgemm_v2 or cublasSgemmStridedBatched", cublas_name);
        dlclose(cublas_lib);
        cublas_lib = NULL;
        return (*env)->NewStringUTF(env, msg);
    }
    return NULL;
}

/* static native String libraryName(): the soname that was opened, or null. */
JNIEXPORT jstring JNICALL Java_org_lgsr_gpu_CublasNative_libraryName(JNIEnv *env, jclass cls) {
    (void) cls;
    return cublas_lib ? (*env)->NewStringUTF(env, cublas_name) : NULL;
}

JNIEXPORT jlong JNICALL Java_org_lgsr_gpu_CublasNative_create(JNIEnv *env, jclass cls) {
    (void) cls;
    if (!loaded(env)) return 0;
    cublasHandle_t h = NULL;
    if (!check(env, p_create(&h), "cublasCreate_v2")) return 0;
    return (jlong) (intptr_t) h;
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_CublasNative_destroy(JNIEnv *env, jclass cls, jlong handle) {
    (void) cls;
    if (!loaded(env)) return;
    check(env, p_destroy((cublasHandle_t) (intptr_t) handle), "cublasDestroy_v2");
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_CublasNative_setStream(JNIEnv *env, jclass cls, jlong handle, jlong stream) {
    (void) cls;
    if (!loaded(env)) return;
    check(env, p_setStream((cublasHandle_t) (intptr_t) handle, (cudaStream_t) (intptr_t) stream), "cublasSetStream_v2");
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_CublasNative_setMathMode(JNIEnv *env, jclass cls, jlong handle, jint mode) {
    (void) cls;
    if (!loaded(env)) return;
    check(env, p_setMathMode((cublasHandle_t) (intptr_t) handle, (cublasMath_t) mode), "cublasSetMathMode");
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_CublasNative_sgemm(JNIEnv *env, jclass cls, jlong handle, jint transa,
                                                            jint transb, jint m, jint n, jint k, jfloat alpha,
                                                            jlong a, jint lda, jlong b, jint ldb, jfloat beta,
                                                            jlong c, jint ldc) {
    (void) cls;
    if (!loaded(env)) return;
    float al = alpha, be = beta; /* host pointer mode (the default) */
    check(env, p_sgemm((cublasHandle_t) (intptr_t) handle, transa, transb, m, n, k, &al,
                       (const float *) (intptr_t) a, lda, (const float *) (intptr_t) b, ldb, &be,
                       (float *) (intptr_t) c, ldc), "cublasSgemm_v2");
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_CublasNative_sgemmStridedBatched(
        JNIEnv *env, jclass cls, jlong handle, jint transa, jint transb, jint m, jint n, jint k, jfloat alpha,
        jlong a, jint lda, jlong strideA, jlong b, jint ldb, jlong strideB, jfloat beta, jlong c, jint ldc,
        jlong strideC, jint batchCount) {
    (void) cls;
    if (!loaded(env)) return;
    float al = alpha, be = beta;
    check(env, p_sgemmBatched((cublasHandle_t) (intptr_t) handle, transa, transb, m, n, k, &al,
                              (const float *) (intptr_t) a, lda, (long long) strideA,
                              (const float *) (intptr_t) b, ldb, (long long) strideB, &be,
                              (float *) (intptr_t) c, ldc, (long long) strideC, batchCount),
          "cublasSgemmStridedBatched");
}

JNIEXPORT jboolean JNICALL Java_org_lgsr_gpu_CublasNative_nvtxAvailable(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
#ifdef LGSR_HAVE_NVTX3
    return JNI_TRUE;
#else
    return JNI_FALSE;
#endif
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_CublasNative_nvtxPush(JNIEnv *env, jclass cls, jstring name) {
    (void) cls;
#ifdef LGSR_HAVE_NVTX3
    const char *s = (*env)->GetStringUTFChars(env, name, NULL);
    if (s == NULL) return;
    nvtxRangePushA(s);
    (*env)->ReleaseStringUTFChars(env, name, s);
#else
    (void) env; (void) name;
#endif
}

JNIEXPORT void JNICALL Java_org_lgsr_gpu_CublasNative_nvtxPop(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
#ifdef LGSR_HAVE_NVTX3
    nvtxRangePop();
#endif
}
