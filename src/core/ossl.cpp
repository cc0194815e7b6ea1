#include "core/ossl.h"

#include <openssl/err.h>

namespace keyward::ossl {

std::string describe_error(std::string_view what) {
  std::string message(what);
  unsigned long first = ERR_get_error();
  if (first != 0) {
    char buf[256];
    ERR_error_string_n(first, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  return message;
}

void clear_errors() noexcept { ERR_clear_error(); }

}  // namespace keyward::ossl
