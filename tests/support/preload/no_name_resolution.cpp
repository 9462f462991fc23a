// LD_PRELOAD library for tests: every host-name lookup fails as on a minimal container without
// /etc/hosts or a resolver ("localhost" included), while numeric addresses still parse. A
// private mount namespace hiding /etc/hosts would be closer, but it cannot be made inside a
// chroot (the README's fresh-machine check runs in one), and this works in any environment.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>

#include <array>
#include <cstring>

namespace {

bool is_numeric(const char* node) noexcept {
    std::array<unsigned char, 16> buffer{};
    return ::inet_pton(AF_INET, node, buffer.data()) == 1 ||
           ::inet_pton(AF_INET6, node, buffer.data()) == 1;
}

using GetaddrinfoFn = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

GetaddrinfoFn real_getaddrinfo() noexcept {
    void* symbol = ::dlsym(RTLD_NEXT, "getaddrinfo");
    GetaddrinfoFn fn = nullptr;
    std::memcpy(&fn, &symbol, sizeof fn);  // object pointer to function pointer, portably
    return fn;
}

}  // namespace

extern "C" {

int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
    if (node != nullptr && !is_numeric(node)) {
        return EAI_NONAME;
    }
    static const GetaddrinfoFn real = real_getaddrinfo();
    return real == nullptr ? EAI_FAIL : real(node, service, hints, res);
}

hostent* gethostbyname(const char* /*name*/) {
    h_errno = HOST_NOT_FOUND;
    return nullptr;
}

hostent* gethostbyname2(const char* /*name*/, int /*af*/) {
    h_errno = HOST_NOT_FOUND;
    return nullptr;
}

}  // extern "C"
