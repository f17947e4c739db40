/* RFC 4120 §5.5.2 KRB_AP_REP and its EncAPRepPart, encoded with the size-first DER writer.
 * The caller encrypts the EncAPRepPart (key usage 12) in between. */
#ifndef NEGRING_CORE_KRB5_AP_REP_H
#define NEGRING_CORE_KRB5_AP_REP_H

#include <stdint.h>

#include "slice.h"
#include "status.h"
#include "writer.h"

/*  EncAPRepPart ::= [APPLICATION 27] SEQUENCE { ctime [0] KerberosTime, cusec [1] Microseconds,
 *      subkey [2] EncryptionKey OPTIONAL, seq-number [3] UInt32 OPTIONAL }
 * ctime_der: the KerberosTime contents echoed from the authenticator; subkey/seq_number are
 * always written here (an acceptor subkey, RFC 4121 §2). */
ng_status ng_krb5_enc_ap_rep_part_write(struct ng_writer *w, struct ng_slice ctime_der,
                                        uint32_t cusec, uint32_t subkey_type,
                                        struct ng_slice subkey, uint32_t seq_number);

/*  AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0] 5, msg-type [1] 15,
 *      enc-part [2] EncryptedData { etype [0], cipher [2] } }  (no kvno: a session key)
 * Written up to its cipher, whose cipher_len octets the caller writes next: the EncAPRepPart is
 * encrypted straight into the output, not copied there. ng_krb5_ap_rep_size: the whole
 * AP-REP's octets, the cipher's included. */
size_t ng_krb5_ap_rep_size(uint32_t etype, size_t cipher_len);
void ng_krb5_ap_rep_write_header(struct ng_writer *w, uint32_t etype, size_t cipher_len);

#endif
