// registry.h: what a generated kernel wrapper (lgsr_sim_gen/<file>.cpp) needs to register the
// kernels of one .cu: a trampoline that calls the kernel with each parameter read from
// params[i] as its declared type, and the parameter signature ('p' pointer, 'i' 4-byte
// integer, 'l' 8-byte integer, 'f' float, 'd' double, '?' anything else: not launchable).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace lgsr_sim {

struct KernelInfo {
    const char *name;
    void (*trampoline)(void **params);
    const char *signature;
    int max_threads; // __launch_bounds__'s first argument, 0 when the kernel has none
    const char *file;
};

__attribute__((visibility("hidden"))) void register_kernel(const KernelInfo *k);

template <typename T> constexpr char signature_char() {
    using U = std::remove_cv_t<T>;
    if (std::is_pointer<U>::value) return 'p';
    if (std::is_same<U, float>::value) return 'f';
    if (std::is_same<U, double>::value) return 'd';
    if (std::is_integral<U>::value && !std::is_same<U, bool>::value && sizeof(U) == 4) return 'i';
    if (std::is_integral<U>::value && sizeof(U) == 8) return 'l';
    return '?';
}

template <typename... A> struct Signature {
    static constexpr char text[sizeof...(A) + 1] = {signature_char<A>()..., '\0'};
};

template <typename... A> constexpr const char *signature_of(void (*)(A...)) { return Signature<A...>::text; }

template <typename... A, std::size_t... I>
inline void call_kernel(void (*f)(A...), void **params, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<A> *>(params[I])...);
}

template <typename... A> constexpr std::size_t arity(void (*)(A...)) { return sizeof...(A); }

template <auto F, std::size_t N> void trampoline_n(void **params) {
    call_kernel(F, params, std::make_index_sequence<N>());
}

struct Registrar {
    explicit Registrar(const KernelInfo *k) { register_kernel(k); }
};

} // namespace lgsr_sim

// One registration: a static KernelInfo and its registrar in the wrapper's translation unit.
#define LGSR_SIM_KERNEL(NAME, MAX_THREADS, FILE)                                                                       \
    static const ::lgsr_sim::KernelInfo lgsr_sim_info_##NAME = {                                                       \
        #NAME, &::lgsr_sim::trampoline_n<&NAME, ::lgsr_sim::arity(&NAME)>, ::lgsr_sim::signature_of(&NAME),            \
        (int) (MAX_THREADS), FILE};                                                                                    \
    static const ::lgsr_sim::Registrar lgsr_sim_registrar_##NAME(&lgsr_sim_info_##NAME);
