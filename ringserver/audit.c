/* The record of a finished or abandoned handshake (see audit.h). */
#include "audit.h"

#include <string.h>
#include <time.h>

#include "log.h"
#include "sec_status.h"

static enum rs_mech_label mech_of(const char *package, const char *scheme)
{
    enum rs_mech_label m = rs_mech_label_of(package);
    if (m == RS_MECH_UNKNOWN && strcmp(scheme, "NTLM") == 0)
        m = RS_MECH_NTLM;
    return m;
}

static void outcome(struct rs_conn *c, const char *scheme, SECURITY_STATUS status,
                    const char *package, const char *user, enum rs_result_label result,
                    const char *reason, const NEGRING_FAILURE_INFO *why)
{
    struct rs_worker *w = c->w;
    uint64_t latency_us = 0;
    if (c->hs.start_us != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
        latency_us = now_us > c->hs.start_us ? now_us - c->hs.start_us : 0;
    }
    enum rs_mech_label mech = mech_of(package, scheme);
    rs_metrics_handshake(&w->metrics, mech, result, latency_us);
    if (why != NULL)
        rs_metrics_auth_failure(&w->metrics, mech, why->Reason);
    if (result == RS_RESULT_OK && !w->srv->cfg.log_success)
        return;
    char q_user[300], q_reason[160], q_detail[300] = "";
    rs_log_quote(q_user, sizeof(q_user), user[0] ? user : "-");
    rs_log_quote(q_reason, sizeof(q_reason),
                 why ? negring_failure_reason_name(why->Reason) : reason);
    if (why != NULL && why->Detail[0] != '\0') {
        memcpy(q_detail, " detail=", 8);
        rs_log_quote(q_detail + 8, sizeof(q_detail) - 8, why->Detail);
    }
    static const char *mech_names[] = {"kerberos", "ntlm", "unknown"};
    rs_log(result == RS_RESULT_OK ? RS_LOG_INFO : RS_LOG_WARN,
           result == RS_RESULT_OK ? "auth_ok" : "auth_failed",
           "listener=%s mode=%s peer=%s scheme=%s mech=%s user=%s status=0x%08x legs=%u "
           "latency_us=%llu reason=%s%s",
           c->lis->cfg->text, rs_mode_name(c->lis->cfg->mode), c->peer, scheme, mech_names[mech],
           q_user, (unsigned)status, c->hs.legs, (unsigned long long)latency_us, q_reason,
           q_detail);
}

void rs_handshake_outcome(struct rs_conn *c, const char *scheme, SECURITY_STATUS status,
                          const char *package, const char *user, enum rs_result_label result,
                          const char *reason)
{
    outcome(c, scheme, status, package, user, result, reason, NULL);
}

void rs_leg_outcome(struct rs_conn *c, const char *scheme, const struct rs_leg *leg)
{
    bool explained = leg->status != SEC_E_OK && leg->failure.Reason != NEGRING_REASON_NONE;
    outcome(c, scheme, leg->status, leg->package, leg->user, rs_status_result(leg->status),
            rs_status_reason(leg->status), explained ? &leg->failure : NULL);
}
