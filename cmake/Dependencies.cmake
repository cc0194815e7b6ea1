# All third-party dependencies come from Debian packages (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(tl-expected REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(CBOR REQUIRED IMPORTED_TARGET libcbor)
pkg_check_modules(YKPIV REQUIRED IMPORTED_TARGET ykpiv)
pkg_check_modules(PCSC REQUIRED IMPORTED_TARGET libpcsclite)
pkg_check_modules(FIDO2 REQUIRED IMPORTED_TARGET libfido2)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)

# Passphrase strength estimate (src/core/passphrase_strength): Debian's libzxcvbn ships no
# pkg-config file.
find_path(ZXCVBN_INCLUDE_DIR zxcvbn.h REQUIRED)
find_library(ZXCVBN_LIBRARY zxcvbn REQUIRED)

add_library(keyward_deps_core INTERFACE)
target_link_libraries(keyward_deps_core INTERFACE
  PkgConfig::SODIUM PkgConfig::ARGON2 PkgConfig::CBOR
  OpenSSL::Crypto SQLite::SQLite3 tl::expected nlohmann_json::nlohmann_json
  Threads::Threads ${ZXCVBN_LIBRARY} m)
target_include_directories(keyward_deps_core INTERFACE ${ZXCVBN_INCLUDE_DIR})
add_library(keyward::deps_core ALIAS keyward_deps_core)

# Network clients (src/net): kept out of core.
add_library(keyward_deps_net INTERFACE)
target_link_libraries(keyward_deps_net INTERFACE PkgConfig::HIREDIS)
add_library(keyward::deps_net ALIAS keyward_deps_net)

# The device libraries are dlopen()ed by src/hw on first use (src/hw/dynlib.h), not linked:
# only their headers are needed to build.
add_library(keyward_deps_hw INTERFACE)
foreach(lib YKPIV PCSC FIDO2)
  target_include_directories(keyward_deps_hw SYSTEM INTERFACE
    $<TARGET_PROPERTY:PkgConfig::${lib},INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_options(keyward_deps_hw INTERFACE
    $<TARGET_PROPERTY:PkgConfig::${lib},INTERFACE_COMPILE_OPTIONS>)
endforeach()
target_link_libraries(keyward_deps_hw INTERFACE ${CMAKE_DL_LIBS})
add_library(keyward::deps_hw ALIAS keyward_deps_hw)

add_library(keyward_deps_cli INTERFACE)
target_link_libraries(keyward_deps_cli INTERFACE CLI11::CLI11 fmt::fmt PkgConfig::QRENCODE)
add_library(keyward::deps_cli ALIAS keyward_deps_cli)
