// The "tlsctx.store" error category. It lives in libtlsctx, not in each backend, because an
// error category is compared by address: codes from tlsctx::redis, tlsctx::memcached and a
// user's own store must all compare equal to the same StoreErrc.
#include "tls/store_errors.hpp"

#include <string>

namespace tls {
namespace {

class StoreCategory final : public std::error_category {
  public:
    constexpr StoreCategory() noexcept = default;
    const char* name() const noexcept override { return "tlsctx.store"; }
    std::string message(int value) const override {
        switch (static_cast<StoreErrc>(value)) {
            case StoreErrc::timeout:
                return "the session store did not answer within the deadline";
            case StoreErrc::unavailable:
                return "the session store is unavailable";
            case StoreErrc::protocol:
                return "the session store answered unexpectedly";
            default:
                return "unknown session store error";
        }
    }
};

const StoreCategory kStoreCategory;

}  // namespace

const std::error_category& store_category() noexcept {
    return kStoreCategory;
}

std::error_code make_error_code(StoreErrc e) noexcept {
    return {static_cast<int>(e), store_category()};
}

}  // namespace tls
