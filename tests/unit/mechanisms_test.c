/* negotiate/mechanisms.c: the registry of mechanisms and OIDs, and the contract of
 * context/mechanism.h that every registered table keeps (all required operations present). */
#include <stddef.h>

#include "check.h"
#include "mechanisms.h"

static void test_kerberos_is_preferred_over_ntlm(void)
{
    REQUIRE(ng_mechanism_count() == 2);
    CHECK_EQ(ng_mechanism_at(0)->package, NG_PKG_KERBEROS);
    CHECK_EQ(ng_mechanism_at(1)->package, NG_PKG_NTLM);
    CHECK(ng_mechanism_at(2) == NULL);
}

/* NegTokenInit2 offers the legacy Kerberos OID first, as Windows does. */
static void test_oids_in_offer_order(void)
{
    REQUIRE(ng_mechanism_oid_count() == 3);
    CHECK_EQ(ng_mechanism_oid_at(0), NG_MECH_KRB5_MS);
    CHECK_EQ(ng_mechanism_oid_at(1), NG_MECH_KRB5);
    CHECK_EQ(ng_mechanism_oid_at(2), NG_MECH_NTLM);
    CHECK_EQ(ng_mechanism_oid_at(3), NG_MECH_NONE);
}

static void test_oids_and_packages_name_their_mechanism(void)
{
    const struct ng_mech_ops *krb5 = ng_mechanism_for_package(NG_PKG_KERBEROS);
    const struct ng_mech_ops *ntlm = ng_mechanism_for_package(NG_PKG_NTLM);
    REQUIRE(krb5 != NULL && ntlm != NULL && krb5 != ntlm);
    CHECK(ng_mechanism_for_oid(NG_MECH_KRB5) == krb5);
    CHECK(ng_mechanism_for_oid(NG_MECH_KRB5_MS) == krb5);
    CHECK(ng_mechanism_for_oid(NG_MECH_NTLM) == ntlm);
    CHECK(ng_mechanism_for_oid(NG_MECH_NEGOEX) == NULL);
    CHECK(ng_mechanism_for_oid(NG_MECH_UNKNOWN) == NULL);
    CHECK(ng_mechanism_for_oid(NG_MECH_NONE) == NULL);
    CHECK(ng_mechanism_for_package(NG_PKG_NEGOTIATE) == NULL);
    /* A raw token stands for the mechanism's own OID, which names it back. */
    CHECK(ng_mechanism_for_oid(krb5->oid) == krb5);
    CHECK(ng_mechanism_for_oid(ntlm->oid) == ntlm);
}

/* mechanism.h: only the operations it marks optional may be NULL. */
static void test_every_required_operation_is_there(void)
{
    for (size_t i = 0; i < ng_mechanism_count(); i++) {
        const struct ng_mech_ops *m = ng_mechanism_at(i);
        CHECK(m->acquire_inbound && m->acquire_outbound && m->can_accept && m->can_initiate &&
              m->reload);
        CHECK(m->owns_raw_token && m->accept && m->initiate && m->established && m->obliges_mic &&
              m->get_mic && m->verify_mic);
        CHECK(m->sizes && m->session_key && m->key_info && m->authority);
        CHECK(m->sign && m->verify && m->seal && m->unseal);
        CHECK(m->export_state && m->import_state && m->fill_access_token && m->free_state);
    }
}

/* A raw token belongs to one mechanism at most; garbage to none. */
static void test_raw_tokens_have_one_owner(void)
{
    static const uint8_t ntlmssp[] = "NTLMSSP\0\1\0\0\0\0\0\0\0";
    static const uint8_t krb5[] = {0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                   0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t garbage[] = {0x01, 0x02, 0x03};
    const struct ng_mech_ops *k = ng_mechanism_for_package(NG_PKG_KERBEROS);
    const struct ng_mech_ops *n = ng_mechanism_for_package(NG_PKG_NTLM);
    struct ng_slice ntlm_tok = ng_slice_of(ntlmssp, sizeof ntlmssp - 1);
    struct ng_slice krb5_tok = ng_slice_of(krb5, sizeof krb5);
    CHECK(n->owns_raw_token(ntlm_tok) && !k->owns_raw_token(ntlm_tok));
    CHECK(k->owns_raw_token(krb5_tok) && !n->owns_raw_token(krb5_tok));
    CHECK(!k->owns_raw_token(ng_slice_of(garbage, 3)) &&
          !n->owns_raw_token(ng_slice_of(garbage, 3)));
}

int main(void)
{
    RUN(test_kerberos_is_preferred_over_ntlm);
    RUN(test_oids_in_offer_order);
    RUN(test_oids_and_packages_name_their_mechanism);
    RUN(test_every_required_operation_is_there);
    RUN(test_raw_tokens_have_one_owner);
    return check_report();
}
