// lgsr_sim_scan: the simulated device's build-time kernel scanner.
//
// Reads .cu files preprocessed with cuda_sim.h in LGSR_SIM_SCAN mode (where __global__,
// __shared__ and __launch_bounds__(...) are left as the marker tokens __lgsr_global__,
// __lgsr_shared__ and __lgsr_lb__(...)), and writes
//  - per .cu, a wrapper .cpp that includes cuda_sim.h, then the .cu unchanged, then registers
//    each kernel found (name, launch bounds' first argument) with LGSR_SIM_KERNEL;
//  - one lgsr_sim_dyn.cpp that defines, in the TLS segment, the per-worker dynamic shared
//    memory lgsr_sim_dyn_smem and every "extern __shared__ T name[]" at the same address.
// usage: lgsr_sim_scan DYN_OUT [--kernels PREPROCESSED SOURCE WRAPPER_OUT]... [--names PREPROCESSED]...
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

const long long kDynBytes = 232448;

struct Kernel {
    std::string name, max_threads;
};

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "lgsr_sim_scan: cannot read " << path << "\n";
        exit(2);
    }
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// identifiers, numbers, string/char literals (as one token each) and single punctuators
std::vector<std::string> tokenize(const std::string &s) {
    std::vector<std::string> t;
    size_t i = 0, n = s.size();
    while (i < n) {
        const char c = s[i];
        if (isspace((unsigned char) c)) {
            i++;
        } else if (c == '#') { // line markers (without -P) and pragmas: skip the line
            while (i < n && s[i] != '\n') i++;
        } else if (isalpha((unsigned char) c) || c == '_') {
            size_t j = i;
            while (j < n && (isalnum((unsigned char) s[j]) || s[j] == '_')) j++;
            t.push_back(s.substr(i, j - i));
            i = j;
        } else if (isdigit((unsigned char) c) || (c == '.' && i + 1 < n && isdigit((unsigned char) s[i + 1]))) {
            size_t j = i;
            while (j < n && (isalnum((unsigned char) s[j]) || s[j] == '.' || s[j] == '_' ||
                             ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E' ||
                                                               s[j - 1] == 'p' || s[j - 1] == 'P'))))
                j++;
            t.push_back(s.substr(i, j - i));
            i = j;
        } else if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < n && s[j] != c) j += s[j] == '\\' ? 2 : 1;
            t.push_back(s.substr(i, j + 1 - i));
            i = j + 1;
        } else {
            t.push_back(std::string(1, c));
            i++;
        }
    }
    return t;
}

bool is_ident(const std::string &t) { return !t.empty() && (isalpha((unsigned char) t[0]) || t[0] == '_'); }

void scan(const std::string &path, std::vector<Kernel> *kernels, std::set<std::string> &dyn) {
    const std::vector<std::string> t = tokenize(read_file(path));
    for (size_t i = 0; i < t.size(); i++) {
        if (t[i] == "__lgsr_global__" && kernels) {
            if (i > 0 && t[i - 1] == ">") {
                std::cerr << "lgsr_sim_scan: " << path << ": a template __global__ is not registered\n";
                continue;
            }
            size_t j = i + 1;
            while (j < t.size() && t[j] != "void" && t[j] != "(") j++; // attributes / linkage words
            if (j >= t.size() || t[j] != "void") {
                std::cerr << "lgsr_sim_scan: " << path << ": __global__ not followed by void\n";
                exit(2);
            }
            j++;
            std::string bounds = "0";
            if (j < t.size() && t[j] == "__lgsr_lb__") {
                j++;
                if (j >= t.size() || t[j] != "(") exit(2);
                int depth = 0;
                std::string first;
                bool in_first = true;
                for (j++; j < t.size(); j++) {
                    if (t[j] == "(") depth++;
                    if (t[j] == ")") {
                        if (depth == 0) break;
                        depth--;
                    }
                    if (t[j] == "," && depth == 0) in_first = false;
                    if (in_first) first += t[j] + " ";
                }
                j++;
                bounds = first;
            }
            if (j + 1 >= t.size() || !is_ident(t[j]) || t[j + 1] != "(") {
                std::cerr << "lgsr_sim_scan: " << path << ": cannot find the name of a __global__ function\n";
                exit(2);
            }
            kernels->push_back({t[j], bounds});
        } else if (t[i] == "__lgsr_shared__" && i > 0 && t[i - 1] == "extern") {
            size_t j = i + 1;
            std::string name;
            while (j < t.size() && t[j] != "[" && t[j] != ";") {
                if (is_ident(t[j])) name = t[j];
                j++;
            }
            if (j + 1 < t.size() && t[j] == "[" && t[j + 1] == "]" && !name.empty()) dyn.insert(name);
        }
    }
}

bool write_if_changed(const std::string &path, const std::string &text) {
    {
        std::ifstream in(path, std::ios::binary);
        if (in) {
            std::stringstream s;
            s << in.rdbuf();
            if (s.str() == text) return true;
        }
    }
    std::ofstream out(path, std::ios::binary);
    out << text;
    return (bool) out;
}

std::string base_name(const std::string &p) {
    const size_t s = p.find_last_of('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::cerr << "usage: lgsr_sim_scan DYN_OUT [--kernels PREPROCESSED SOURCE WRAPPER_OUT]... [--names PREPROCESSED]...\n";
        return 2;
    }
    const std::string dyn_out = argv[1];
    std::set<std::string> dyn;
    std::set<std::string> all_kernels;
    for (int a = 2; a < argc; a++) {
        const std::string opt = argv[a];
        if (opt == "--kernels" && a + 3 < argc) {
            const std::string pre = argv[a + 1], src = argv[a + 2], out = argv[a + 3];
            a += 3;
            std::vector<Kernel> kernels;
            scan(pre, &kernels, dyn);
            std::string text = "// generated by lgsr_sim_scan from " + src + ": do not edit\n"
                               "#include \"lgsr_sim/cuda_sim.h\"\n#include \"lgsr_sim/registry.h\"\n"
                               "#include \"" + src + "\"\n\n";
            for (const Kernel &k : kernels) {
                if (!all_kernels.insert(k.name).second) {
                    std::cerr << "lgsr_sim_scan: kernel " << k.name << " is defined twice\n";
                    return 2;
                }
                text += "LGSR_SIM_KERNEL(" + k.name + ", " + k.max_threads + ", \"" + base_name(src) + "\")\n";
            }
            if (!write_if_changed(out, text)) {
                std::cerr << "lgsr_sim_scan: cannot write " << out << "\n";
                return 2;
            }
        } else if (opt == "--names" && a + 1 < argc) {
            scan(argv[++a], nullptr, dyn);
        } else {
            std::cerr << "lgsr_sim_scan: bad argument " << opt << "\n";
            return 2;
        }
    }
    std::vector<std::string> names{"lgsr_sim_dyn_smem"};
    names.insert(names.end(), dyn.begin(), dyn.end());
    const std::string size = std::to_string(kDynBytes);
    std::string text = "// generated by lgsr_sim_scan: the dynamic shared memory of one worker (227 KB, in the\n"
                       "// TLS segment), under the name of every extern __shared__ array of the kernels. Do not edit.\n"
                       "asm(\".section .tbss,\\\"awT\\\",@nobits\\n\"\n    \".p2align 6\\n\"\n";
    for (const std::string &n : names)
        text += "    \".globl " + n + "\\n.hidden " + n + "\\n.type " + n + ", @tls_object\\n.size " + n + ", " + size +
                "\\n\"\n";
    for (const std::string &n : names) text += "    \"" + n + ":\\n\"\n";
    text += "    \".zero " + size + "\\n\"\n    \".previous\\n\");\n";
    if (!write_if_changed(dyn_out, text)) {
        std::cerr << "lgsr_sim_scan: cannot write " << dyn_out << "\n";
        return 2;
    }
    return 0;
}
