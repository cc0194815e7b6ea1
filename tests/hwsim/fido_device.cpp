#include "fido_device.h"
namespace hwsim {
class Authenticator {};
FidoDevice::FidoDevice(std::string socket_path, std::string, Presence& presence, FidoOptions)
    : socket_path_(std::move(socket_path)), presence_(presence) {}
FidoDevice::~FidoDevice() = default;
bool FidoDevice::bind_socket() { return false; }
void FidoDevice::run(const std::atomic<bool>&) {}
std::string FidoDevice::status() const { return ""; }
void FidoDevice::block_pin() {}
}  // namespace hwsim
