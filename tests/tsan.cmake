# ThreadSanitizer builds of the lock-free stress tests, part of the default test run: a plain
# build then proves the handle table and the replay cache race-free. Skipped when the whole build
# is already sanitized (NEGRING_SANITIZE, which cannot be mixed with TSan) or the compiler lacks
# -fsanitize=thread. Each target compiles only the core sources it needs, with TSan.
if(NEGRING_SANITIZE)
  return()
endif()

include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=thread)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=thread)
check_c_source_compiles("int main(void) { return 0; }" NEGRING_HAVE_TSAN)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT NEGRING_HAVE_TSAN)
  message(STATUS "negring: -fsanitize=thread unsupported, skipping the TSan stress tests")
  return()
endif()

foreach(unit context_table replay_cache)
  add_executable(${unit}_tsan
                 ${CMAKE_CURRENT_SOURCE_DIR}/unit/${unit}_stress_test.c
                 ${CMAKE_SOURCE_DIR}/core/context_table.c
                 ${CMAKE_SOURCE_DIR}/core/replay_cache.c
                 ${CMAKE_SOURCE_DIR}/core/alloc.c
                 ${CMAKE_SOURCE_DIR}/core/status.c
                 ${CMAKE_SOURCE_DIR}/core/random.c)
  target_include_directories(${unit}_tsan PRIVATE ${CMAKE_SOURCE_DIR}/core ${CMAKE_SOURCE_DIR}/tests)
  # After the build type's flags on the command line, so -O1 wins.
  target_compile_options(${unit}_tsan PRIVATE -fsanitize=thread -O1 -g -fno-omit-frame-pointer)
  target_link_options(${unit}_tsan PRIVATE -fsanitize=thread)
  target_link_libraries(${unit}_tsan PRIVATE PkgConfig::NETTLE Threads::Threads)
  add_test(NAME ${unit}_tsan COMMAND ${unit}_tsan)
  set_tests_properties(${unit}_tsan PROPERTIES
                       ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:abort_on_error=1"
                       TIMEOUT 300)
endforeach()

# The ticket cache under contention (tests/unit/ticket_cache_stress_test.c): its entries hold
# krb5 structures, so it links libkrb5 (not instrumented: only negring's accesses are checked).
add_executable(ticket_cache_tsan
               ${CMAKE_CURRENT_SOURCE_DIR}/unit/ticket_cache_stress_test.c
               ${CMAKE_SOURCE_DIR}/core/ticket_cache.c
               ${CMAKE_SOURCE_DIR}/core/krb5_session.c
               ${CMAKE_SOURCE_DIR}/core/krb5_thread.c
               ${CMAKE_SOURCE_DIR}/core/pac_logon_info.c
               ${CMAKE_SOURCE_DIR}/core/der.c
               ${CMAKE_SOURCE_DIR}/core/reader.c
               ${CMAKE_SOURCE_DIR}/core/writer.c
               ${CMAKE_SOURCE_DIR}/core/alloc.c
               ${CMAKE_SOURCE_DIR}/core/status.c
               ${CMAKE_SOURCE_DIR}/core/random.c)
target_include_directories(ticket_cache_tsan PRIVATE ${CMAKE_SOURCE_DIR}/include
                           ${CMAKE_SOURCE_DIR}/core ${CMAKE_SOURCE_DIR}/tests)
target_compile_options(ticket_cache_tsan PRIVATE -fsanitize=thread -O1 -g -fno-omit-frame-pointer)
target_link_options(ticket_cache_tsan PRIVATE -fsanitize=thread)
target_link_libraries(ticket_cache_tsan PRIVATE PkgConfig::KRB5 PkgConfig::NETTLE Threads::Threads)
add_test(NAME ticket_cache_tsan COMMAND ticket_cache_tsan)
set_tests_properties(ticket_cache_tsan PROPERTIES
                     ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:abort_on_error=1"
                     TIMEOUT 300)

# Every core source is compiled with TSan once, in this object library, which each whole-library
# TSan test below links.
file(GLOB NEGRING_TSAN_CORE_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/core/*.c)
add_library(negring_tsan_core OBJECT ${NEGRING_TSAN_CORE_SOURCES})
target_include_directories(negring_tsan_core PUBLIC ${CMAKE_SOURCE_DIR}/include
                           ${CMAKE_SOURCE_DIR}/core)
target_compile_options(negring_tsan_core PUBLIC -fsanitize=thread -O1 -g -fno-omit-frame-pointer)
target_link_options(negring_tsan_core PUBLIC -fsanitize=thread)
target_link_libraries(negring_tsan_core PUBLIC PkgConfig::KRB5 PkgConfig::NETTLE Threads::Threads)

# Whole handshakes from many threads over shared credentials (tests/unit/concurrent_accept_test.c),
# with every core source and the realm harness built with TSan. libkrb5 is not instrumented: TSan
# sees its locks (pthread interceptors) but not its memory accesses, so a race inside it can only
# show where it touches memory through an interceptor. tests/tsan.supp names the few such reports
# that are libkrb5's own, frame by frame; negring frames are never suppressed.
add_executable(concurrent_accept_tsan
               ${CMAKE_CURRENT_SOURCE_DIR}/unit/concurrent_accept_test.c
               ${CMAKE_CURRENT_SOURCE_DIR}/harness/realm.c)
target_include_directories(concurrent_accept_tsan PRIVATE
                           ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/core
                           ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/tests/harness)
target_compile_definitions(concurrent_accept_tsan PRIVATE
                           NEGRING_REALM_SCRIPT="${CMAKE_SOURCE_DIR}/scripts/realm.sh")
target_compile_options(concurrent_accept_tsan PRIVATE -fsanitize=thread -O1 -g -fno-omit-frame-pointer)
target_link_options(concurrent_accept_tsan PRIVATE -fsanitize=thread)
target_link_libraries(concurrent_accept_tsan PRIVATE negring_tsan_core)
add_test(NAME concurrent_accept_tsan COMMAND concurrent_accept_tsan)
set_tests_properties(concurrent_accept_tsan PROPERTIES
                     ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:abort_on_error=1"
                     TIMEOUT 300)

# NTLM handshakes from many threads while the account database is reloaded, and concurrent
# sealing on one context (tests/unit/ntlm_concurrent_test.c); needs no realm.
add_executable(ntlm_concurrent_tsan ${CMAKE_CURRENT_SOURCE_DIR}/unit/ntlm_concurrent_test.c)
target_include_directories(ntlm_concurrent_tsan PRIVATE
                           ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/core
                           ${CMAKE_SOURCE_DIR}/tests)
target_compile_options(ntlm_concurrent_tsan PRIVATE -fsanitize=thread -O1 -g -fno-omit-frame-pointer)
target_link_options(ntlm_concurrent_tsan PRIVATE -fsanitize=thread)
target_link_libraries(ntlm_concurrent_tsan PRIVATE negring_tsan_core)
add_test(NAME ntlm_concurrent_tsan COMMAND ntlm_concurrent_tsan)
set_tests_properties(ntlm_concurrent_tsan PROPERTIES
                     ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:abort_on_error=1"
                     TIMEOUT 300)

# The cached-ticket accept path with concurrent key reloads
# (tests/unit/cached_accept_reload_stress_test.c), every core source built with TSan as above.
add_executable(cached_accept_reload_tsan
               ${CMAKE_CURRENT_SOURCE_DIR}/unit/cached_accept_reload_stress_test.c
               ${CMAKE_CURRENT_SOURCE_DIR}/harness/realm.c
               ${CMAKE_CURRENT_SOURCE_DIR}/harness/gss_peer.c)
target_include_directories(cached_accept_reload_tsan PRIVATE
                           ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/core
                           ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/tests/harness)
target_compile_definitions(cached_accept_reload_tsan PRIVATE
                           NEGRING_REALM_SCRIPT="${CMAKE_SOURCE_DIR}/scripts/realm.sh")
target_compile_options(cached_accept_reload_tsan PRIVATE -fsanitize=thread -O1 -g
                       -fno-omit-frame-pointer)
target_link_options(cached_accept_reload_tsan PRIVATE -fsanitize=thread)
target_link_libraries(cached_accept_reload_tsan PRIVATE negring_tsan_core)
add_test(NAME cached_accept_reload_tsan COMMAND cached_accept_reload_tsan)
set_tests_properties(cached_accept_reload_tsan PROPERTIES
                     ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:abort_on_error=1"
                     TIMEOUT 300)

# Per-message protection with one context encrypting on one thread while another decrypts
# (tests/unit/message_protection_test.c, test_full_duplex_threads): the per-direction locks and
# krb5_key caches of core/krb5_message.c.
add_executable(message_protection_tsan
               ${CMAKE_CURRENT_SOURCE_DIR}/unit/message_protection_test.c
               ${CMAKE_CURRENT_SOURCE_DIR}/harness/realm.c
               ${CMAKE_CURRENT_SOURCE_DIR}/harness/gss_peer.c)
target_include_directories(message_protection_tsan PRIVATE
                           ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/tests/harness)
target_compile_definitions(message_protection_tsan PRIVATE
                           NEGRING_REALM_SCRIPT="${CMAKE_SOURCE_DIR}/scripts/realm.sh")
target_link_libraries(message_protection_tsan PRIVATE negring_tsan_core)
add_test(NAME message_protection_tsan COMMAND message_protection_tsan)
set_tests_properties(message_protection_tsan PROPERTIES
                     ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:abort_on_error=1"
                     TIMEOUT 300)
