#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"

/* pcapng block types and constants (pcapng specification, sections 4.1,
 * 4.2 and 4.3) */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9

struct capture {
	FILE *f;
	enum capture_node node;
	uint64_t count;
	bool failed;
	struct frame_arena *arena;     /* to read a message's channel */
};

/* A block is built in host byte order, as the section header's magic
 * tells readers. */
struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void put32(struct buf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put16(struct buf *b, uint16_t v)
{
	put(b, &v, 2);
}

static void pad4(struct buf *b)
{
	static const uint8_t zero[4];
	put(b, zero, (4 - b->n % 4) % 4);
}

static void option(struct buf *b, uint16_t code, const void *v, uint16_t len)
{
	put16(b, code);
	put16(b, len);
	put(b, v, len);
	pad4(b);
}

/* Fill in the total length at both ends of the block started at b->p. */
static void block_end(struct buf *b)
{
	put32(b, 0);
	uint32_t total = (uint32_t)b->n;
	memcpy(b->p + 4, &total, 4);
	memcpy(b->p + b->n - 4, &total, 4);
}

static bool write_block(struct capture *c, struct buf *b)
{
	bool ok = fwrite(b->p, 1, b->n, c->f) == b->n && fflush(c->f) == 0;
	free(b->p);
	if (!ok && !c->failed) {
		c->failed = true;
		log_warn("capture: cannot write: %s", strerror(errno));
	}
	return ok;
}

static bool write_header(struct capture *c)
{
	struct buf b = { 0 };
	put32(&b, BT_SHB);
	put32(&b, 0);
	put32(&b, BYTE_ORDER_MAGIC);
	put16(&b, 1);                          /* version 1.0 */
	put16(&b, 0);
	put32(&b, 0xFFFFFFFFu);                /* section length: not given */
	put32(&b, 0xFFFFFFFFu);
	static const char appl[] = "ampsim " AMPSIM_VERSION;
	option(&b, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	option(&b, OPT_ENDOFOPT, NULL, 0);
	block_end(&b);
	if (!write_block(c, &b))
		return false;

	struct buf i = { 0 };
	put32(&i, BT_IDB);
	put32(&i, 0);
	put16(&i, CAPTURE_LINKTYPE_USER0);
	put16(&i, 0);
	put32(&i, 0);                          /* snaplen: no limit */
	const char *name = c->node == CAPTURE_ALICE ? "ampsim alice" : "ampsim bob";
	option(&i, OPT_IF_NAME, name, (uint16_t)strlen(name));
	uint8_t resol = 6;                     /* microseconds */
	option(&i, OPT_IF_TSRESOL, &resol, 1);
	option(&i, OPT_ENDOFOPT, NULL, 0);
	block_end(&i);
	return write_block(c, &i);
}

struct capture *capture_open(const char *path, enum capture_node node, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct capture *c = xcalloc(1, sizeof(*c));
	c->node = node;
	c->arena = xcalloc(1, sizeof(*c->arena));
	frame_arena_init(c->arena);
	c->f = fdopen(fd, "a");
	if (!c->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		free(c->arena);
		free(c);
		return NULL;
	}
	if (!write_header(c)) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		capture_close(c);
		return NULL;
	}
	return c;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	fclose(c->f);
	free(c->arena);
	free(c);
}

bool capture_frame(struct capture *c, uint64_t sim_us, bool sent, const char *channel,
		   const uint8_t *frame, size_t len)
{
	if (!c || len < FRAME_HDR)
		return false;
	if (!channel) {
		Ampsim__Envelope *env;
		size_t used;
		char why[64];
		frame_arena_reset(c->arena);
		if (frame_decode(c->arena, frame, len, &used, &env, why, sizeof(why)) == FRAME_OK)
			channel = envelope_channel(env);
	}
	size_t clen = channel ? strlen(channel) : 0;
	if (clen > 255)
		clen = 255;
	uint8_t hdr[4] = { CAPTURE_VERSION, (uint8_t)c->node, 0, (uint8_t)clen };
	bool from_alice = (c->node == CAPTURE_ALICE) == sent;
	hdr[2] = from_alice ? 0 : 1;
	size_t body = len - FRAME_HDR;
	uint32_t caplen = (uint32_t)(sizeof(hdr) + clen + body);

	struct buf b = { 0 };
	put32(&b, BT_EPB);
	put32(&b, 0);
	put32(&b, 0);                          /* interface 0 */
	put32(&b, (uint32_t)(sim_us >> 32));
	put32(&b, (uint32_t)sim_us);
	put32(&b, caplen);
	put32(&b, caplen);
	put(&b, hdr, sizeof(hdr));
	put(&b, channel ? channel : "", clen);
	put(&b, frame + FRAME_HDR, body);
	pad4(&b);
	option(&b, OPT_ENDOFOPT, NULL, 0);
	block_end(&b);
	bool ok = write_block(c, &b);
	if (ok)
		c->count++;
	return ok;
}

uint64_t capture_count(const struct capture *c)
{
	return c ? c->count : 0;
}
