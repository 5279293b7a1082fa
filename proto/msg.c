#include "msg.h"

#include <string.h>

static ProtobufCBinaryData bin(const uint8_t *b, size_t n)
{
	ProtobufCBinaryData d = { n, (uint8_t *)b };
	return d;
}

static const Ampsim__Envelope *env_of(struct msg *m, Ampsim__Envelope__MsgCase c)
{
	m->env.msg_case = c;
	return &m->env;
}

static void reset(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	ampsim__envelope__init(&m->env);
}

const Ampsim__Envelope *msg_init(struct msg *m, const struct msg_init *i)
{
	reset(m);
	Ampsim__Init *x = &m->u.init;
	ampsim__init__init(x);
	m->features[0] = "mpp";
	m->features[1] = "amp";
	x->version = i->version;
	x->n_features = 2;
	x->features = m->features;
	x->epoch_unix_us = i->epoch_unix_us;
	x->block_interval_us = i->block_interval_us;
	x->time_scale = i->time_scale;
	x->seed = i->seed;
	m->env.init = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_INIT);
}

static void link_fill(Ampsim__LinkParams *lp, const struct msg_link *l)
{
	ampsim__link_params__init(lp);
	lp->delay_us = l->delay_us;
	lp->jitter_us = l->jitter_us;
	lp->jitter_dist = l->dist;
	lp->drop = l->drop;
	lp->duplicate = l->duplicate;
}

const Ampsim__Envelope *msg_open_channel(struct msg *m, const char *channel, uint64_t capacity_msat,
					 uint64_t alice_msat, uint32_t max_htlcs,
					 uint64_t htlc_minimum_msat, const struct msg_link *to_bob,
					 const struct msg_link *to_alice)
{
	reset(m);
	Ampsim__OpenChannel *x = &m->u.open;
	ampsim__open_channel__init(x);
	link_fill(&m->link[0], to_bob);
	link_fill(&m->link[1], to_alice);
	x->channel_id = (char *)channel;
	x->capacity_msat = capacity_msat;
	x->alice_msat = alice_msat;
	x->max_htlcs = max_htlcs;
	x->htlc_minimum_msat = htlc_minimum_msat;
	x->to_bob = &m->link[0];
	x->to_alice = &m->link[1];
	m->env.open_channel = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL);
}

const Ampsim__Envelope *msg_accept_channel(struct msg *m, const char *channel)
{
	reset(m);
	Ampsim__AcceptChannel *x = &m->u.accept;
	ampsim__accept_channel__init(x);
	x->channel_id = (char *)channel;
	m->env.accept_channel = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL);
}

const Ampsim__Envelope *msg_invoice_request(struct msg *m, uint64_t request_id,
					    uint64_t amount_msat, const char *description)
{
	reset(m);
	Ampsim__InvoiceRequest *x = &m->u.invreq;
	ampsim__invoice_request__init(x);
	x->request_id = request_id;
	x->amount_msat = amount_msat;
	x->description = (char *)(description ? description : "");
	m->env.invoice_request = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST);
}

const Ampsim__Envelope *msg_invoice(struct msg *m, uint64_t request_id, uint64_t amount_msat,
				    const uint8_t hash[32], const uint8_t secret[32],
				    uint32_t min_final_cltv_expiry, uint64_t created_height,
				    const char *description)
{
	reset(m);
	Ampsim__Invoice *x = &m->u.invoice;
	ampsim__invoice__init(x);
	x->request_id = request_id;
	x->amount_msat = amount_msat;
	x->payment_hash = bin(hash, 32);
	x->payment_secret = bin(secret, 32);
	x->min_final_cltv_expiry = min_final_cltv_expiry;
	x->created_height = created_height;
	x->description = (char *)(description ? description : "");
	m->env.invoice = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_INVOICE);
}

const Ampsim__Envelope *msg_add(struct msg *m, const struct msg_add *a)
{
	reset(m);
	Ampsim__UpdateAddHtlc *x = &m->u.add;
	ampsim__update_add_htlc__init(x);
	x->channel_id = (char *)a->channel;
	x->htlc_id = a->htlc_id;
	x->amount_msat = a->amount_msat;
	x->payment_hash = bin(a->hash, 32);
	x->cltv_expiry = a->cltv_expiry;
	if (a->secret) {
		ampsim__mpp_record__init(&m->mpp);
		m->mpp.payment_secret = bin(a->secret, 32);
		m->mpp.total_msat = a->total_msat;
		x->mpp = &m->mpp;
	}
	if (a->share) {
		ampsim__amp_record__init(&m->amp);
		m->amp.root_share = bin(a->share, 32);
		m->amp.set_id = bin(a->set_id, 32);
		m->amp.child_index = a->child_index;
		x->amp = &m->amp;
	}
	if (a->sender_sig)
		x->sender_sig = bin(a->sender_sig, 64);
	m->env.update_add_htlc = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC);
}

const Ampsim__Envelope *msg_fulfill(struct msg *m, const char *channel, uint64_t htlc_id,
				    const uint8_t preimage[32])
{
	reset(m);
	Ampsim__UpdateFulfillHtlc *x = &m->u.fulfill;
	ampsim__update_fulfill_htlc__init(x);
	x->channel_id = (char *)channel;
	x->htlc_id = htlc_id;
	x->payment_preimage = bin(preimage, 32);
	m->env.update_fulfill_htlc = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC);
}

const Ampsim__Envelope *msg_fail(struct msg *m, const char *channel, uint64_t htlc_id,
				 Ampsim__FailureCode code, const char *reason)
{
	reset(m);
	Ampsim__UpdateFailHtlc *x = &m->u.fail;
	ampsim__update_fail_htlc__init(x);
	x->channel_id = (char *)channel;
	x->htlc_id = htlc_id;
	x->failure_code = code;
	x->reason = (char *)(reason ? reason : "");
	m->env.update_fail_htlc = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC);
}

const Ampsim__Envelope *msg_error(struct msg *m, const char *channel, const char *message)
{
	return msg_error_code(m, channel, AMPSIM__ERROR_CODE__ERROR_UNSPECIFIED, message);
}

const Ampsim__Envelope *msg_error_code(struct msg *m, const char *channel, Ampsim__ErrorCode code,
				       const char *message)
{
	reset(m);
	Ampsim__Error *x = &m->u.error;
	ampsim__error__init(x);
	x->channel_id = (char *)(channel ? channel : "");
	x->message = (char *)(message ? message : "");
	x->code = code;
	m->env.error = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_ERROR);
}

const Ampsim__Envelope *msg_ping(struct msg *m, uint32_t num_pong_bytes)
{
	reset(m);
	Ampsim__Ping *x = &m->u.ping;
	ampsim__ping__init(x);
	x->num_pong_bytes = num_pong_bytes;
	m->env.ping = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_PING);
}

const Ampsim__Envelope *msg_pong(struct msg *m)
{
	reset(m);
	Ampsim__Pong *x = &m->u.pong;
	ampsim__pong__init(x);
	m->env.pong = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_PONG);
}

const Ampsim__Envelope *msg_resolve_ack(struct msg *m, const char *channel, uint64_t htlc_id,
					bool reclaimed)
{
	reset(m);
	Ampsim__ResolveAck *x = &m->u.ack;
	ampsim__resolve_ack__init(x);
	x->channel_id = (char *)channel;
	x->htlc_id = htlc_id;
	x->reclaimed = reclaimed;
	m->env.resolve_ack = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK);
}

const Ampsim__Envelope *msg_reestablish(struct msg *m, const char *channel,
					uint64_t next_htlc_id, uint32_t inflight)
{
	reset(m);
	Ampsim__Reestablish *x = &m->u.reest;
	ampsim__reestablish__init(x);
	x->channel_id = (char *)channel;
	x->next_htlc_id = next_htlc_id;
	x->inflight = inflight;
	m->env.reestablish = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_REESTABLISH);
}

const Ampsim__Envelope *msg_htlc_signed(struct msg *m, const char *channel, uint64_t htlc_id,
					const uint8_t sig[64])
{
	reset(m);
	Ampsim__HtlcSigned *x = &m->u.hsigned;
	ampsim__htlc_signed__init(x);
	x->channel_id = (char *)channel;
	x->htlc_id = htlc_id;
	x->receiver_sig = bin(sig, 64);
	m->env.htlc_signed = x;
	return env_of(m, AMPSIM__ENVELOPE__MSG_HTLC_SIGNED);
}
