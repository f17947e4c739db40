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

# A TSan test: halts at the first report.
function(negring_tsan_test name)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
                       ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:abort_on_error=1" TIMEOUT 300)
endfunction()

# The flags of a target that compiles its own sources with TSan (after the build type's flags on
# the command line, so -O1 wins).
function(negring_tsan_flags target)
  target_compile_options(${target} PRIVATE -fsanitize=thread -O1 -g -fno-omit-frame-pointer)
  target_link_options(${target} PRIVATE -fsanitize=thread)
endfunction()

foreach(unit handle_table replay_cache)
  add_executable(${unit}_tsan
                 ${CMAKE_CURRENT_SOURCE_DIR}/unit/${unit}_stress_test.c
                 ${CMAKE_SOURCE_DIR}/core/context/handle_table.c
                 ${CMAKE_SOURCE_DIR}/core/kerberos/replay_cache.c
                 ${CMAKE_SOURCE_DIR}/core/base/alloc.c
                 ${CMAKE_SOURCE_DIR}/core/base/status.c
                 ${CMAKE_SOURCE_DIR}/core/base/table_pages.c
                 ${CMAKE_SOURCE_DIR}/core/base/random.c)
  target_include_directories(${unit}_tsan PRIVATE ${NEGRING_CORE_INCLUDE_DIRS} ${CMAKE_SOURCE_DIR}/tests)
  negring_tsan_flags(${unit}_tsan)
  target_link_libraries(${unit}_tsan PRIVATE PkgConfig::NETTLE Threads::Threads)
  negring_tsan_test(${unit}_tsan)
endforeach()

# The ticket cache under contention (tests/unit/ticket_cache_stress_test.c): its entries hold
# krb5 structures, so it links libkrb5 (not instrumented: only negring's accesses are checked).
add_executable(ticket_cache_tsan
               ${CMAKE_CURRENT_SOURCE_DIR}/unit/ticket_cache_stress_test.c
               ${CMAKE_SOURCE_DIR}/core/kerberos/ticket_cache.c
               ${CMAKE_SOURCE_DIR}/core/kerberos/krb5_aes.c
               ${CMAKE_SOURCE_DIR}/core/kerberos/krb5_session.c
               ${CMAKE_SOURCE_DIR}/core/kerberos/krb5_thread.c
               ${CMAKE_SOURCE_DIR}/core/kerberos/pac_logon_info.c
               ${CMAKE_SOURCE_DIR}/core/kerberos/pac_identity.c
               ${CMAKE_SOURCE_DIR}/core/base/utf16.c
               ${CMAKE_SOURCE_DIR}/core/base/der.c
               ${CMAKE_SOURCE_DIR}/core/base/reader.c
               ${CMAKE_SOURCE_DIR}/core/base/writer.c
               ${CMAKE_SOURCE_DIR}/core/base/alloc.c
               ${CMAKE_SOURCE_DIR}/core/base/status.c
               ${CMAKE_SOURCE_DIR}/core/base/table_pages.c
               ${CMAKE_SOURCE_DIR}/core/base/random.c)
target_include_directories(ticket_cache_tsan PRIVATE ${NEGRING_CORE_INCLUDE_DIRS}
                           ${CMAKE_SOURCE_DIR}/tests)
negring_tsan_flags(ticket_cache_tsan)
target_link_libraries(ticket_cache_tsan PRIVATE PkgConfig::KRB5 PkgConfig::NETTLE Threads::Threads)
negring_tsan_test(ticket_cache_tsan)

# Every core source is compiled with TSan once, in this object library, which each whole-library
# TSan test below links.
add_library(negring_tsan_core OBJECT ${NEGRING_CORE_SOURCES})
target_include_directories(negring_tsan_core PUBLIC ${NEGRING_CORE_INCLUDE_DIRS})
target_compile_options(negring_tsan_core PUBLIC -fsanitize=thread -O1 -g -fno-omit-frame-pointer)
target_link_options(negring_tsan_core PUBLIC -fsanitize=thread)
target_link_libraries(negring_tsan_core PUBLIC ${NEGRING_CORE_DEPS} Threads::Threads)

# A whole-library TSan test: tests/unit/<test source> plus the named harness sources (realm.c,
# gss_peer.c), all built with TSan through negring_tsan_core's flags.
function(negring_tsan_library_test name source)
  set(harness)
  foreach(h ${ARGN})
    list(APPEND harness ${CMAKE_CURRENT_SOURCE_DIR}/harness/${h})
  endforeach()
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/unit/${source} ${harness})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests
                             ${CMAKE_SOURCE_DIR}/tests/harness)
  target_compile_definitions(${name} PRIVATE
                             NEGRING_REALM_SCRIPT="${CMAKE_SOURCE_DIR}/scripts/realm.sh")
  target_link_libraries(${name} PRIVATE negring_tsan_core)
  negring_tsan_test(${name})
endfunction()

# Whole handshakes from many threads over shared credentials. libkrb5 is not instrumented: TSan
# sees its locks (pthread interceptors) but not its memory accesses, so a race inside it can only
# show where it touches memory through an interceptor. Nothing is suppressed.
negring_tsan_library_test(concurrent_accept_tsan concurrent_accept_test.c realm.c)
# NTLM handshakes from many threads while the account database is reloaded, and concurrent
# sealing on one context; needs no realm.
negring_tsan_library_test(ntlm_concurrent_tsan ntlm_concurrent_test.c)
# The process's set of outstanding NTLM challenges (reflection): acceptors issuing and finishing
# handshakes while initiators look challenges up and a thread works the set directly.
negring_tsan_library_test(ntlm_issued_challenges_tsan ntlm_issued_challenges_test.c)
# The cached-ticket accept path with concurrent key reloads.
negring_tsan_library_test(cached_accept_reload_tsan cached_accept_reload_stress_test.c
                          realm.c gss_peer.c)
# Per-message protection with one context encrypting on one thread while another decrypts
# (test_full_duplex_threads): the per-direction locks and krb5_key caches of core/kerberos/krb5_message.c.
negring_tsan_library_test(message_protection_tsan message_protection_test.c realm.c gss_peer.c)
