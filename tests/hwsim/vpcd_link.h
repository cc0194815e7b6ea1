// TCP link from a virtual PIV card to pcscd's vpcd reader driver (the card is the TCP client).
// Framing: 2-byte big-endian length + payload; 1-byte payloads are control bytes
// (00 power off, 01 power on, 02 reset, 04 get ATR), longer ones are C-APDUs.
//
// Latency fix: TCP_NODELAY once, TCP_QUICKACK before every recv(). Debian's vpcd writes the
// length and the payload with two send() calls; without quick ACKs the kernel's delayed ACK
// (up to 40 ms) stalls every APDU round trip behind Nagle on pcscd's side.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "piv_card.h"
#include "presence.h"

namespace hwsim {

class VpcdLink {
 public:
  // keep_on_power_off: pcscd's idle power-off (00) and the following power-on (01) keep the PIN
  // and management-key state (warm reset 02 always clears it). Whether a real YubiKey does this
  // is unconfirmed; the default clears, which is the conservative ISO 7816 behaviour.
  VpcdLink(PivCard& card, Presence& presence, std::string host, std::uint16_t port, bool keep_on_power_off = false)
      : card_(card), presence_(presence), host_(std::move(host)), port_(port), keep_on_power_off_(keep_on_power_off) {}

  // Runs until `stop` turns true: connects (retrying), serves, reconnects after removal.
  void run(const std::atomic<bool>& stop);
  bool connected() const { return connected_; }
  // True once pcscd has powered the card up and read its ATR on the current connection.
  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }

 private:
  int connect_once();
  void serve(int fd, const std::atomic<bool>& stop);

  PivCard& card_;
  Presence& presence_;
  std::string host_;
  std::uint16_t port_;
  bool keep_on_power_off_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> ready_{false};
};

}  // namespace hwsim
