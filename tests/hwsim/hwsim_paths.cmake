# Where the simulator test fixtures keep their state and sockets. Include this from any test
# directory that needs the simulator (e.g. tests/hw) and add
#   FIXTURES_REQUIRED hwsim_piv  RESOURCE_LOCK hwsim_vpcd   (PIV cards; readers "Virtual PCD 00 00/01")
#   FIXTURES_REQUIRED hwsim_fido RESOURCE_LOCK hwsim_fido   (FIDO2: ${HWSIM_FIDO_STATE}/fido{0,1}.sock)
# to the tests; the control socket is <state dir>/ctl.sock, the binary $<TARGET_FILE:keyward-hwsim>.
set(HWSIM_PIV_STATE ${CMAKE_BINARY_DIR}/tests/hwsim/piv-state)
set(HWSIM_FIDO_STATE ${CMAKE_BINARY_DIR}/tests/hwsim/fido-state)
# Unix socket paths are limited to 107 bytes: deep build directories use a short /tmp path.
string(LENGTH "${HWSIM_FIDO_STATE}/fido0.sock" HWSIM_SOCK_LEN)
if(HWSIM_SOCK_LEN GREATER 100)
  string(MD5 HWSIM_DIR_HASH "${CMAKE_BINARY_DIR}")
  string(SUBSTRING "${HWSIM_DIR_HASH}" 0 12 HWSIM_DIR_HASH)
  set(HWSIM_PIV_STATE /tmp/keyward-hwsim-${HWSIM_DIR_HASH}-piv)
  set(HWSIM_FIDO_STATE /tmp/keyward-hwsim-${HWSIM_DIR_HASH}-fido)
endif()
