/* Unit tests for sim/runtime/capture.c: the pcapng file, block by block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "capture.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static size_t frame_of(const Ampsim__Envelope *env, uint8_t *buf)
{
	size_t n = frame_encode(env, buf, FRAME_MAX + FRAME_HDR);
	assert_true(n > FRAME_HDR);
	return n;
}

static void blocks_and_packets(void **state)
{
	(void)state;
	char dir[64], path[128], err[128];
	assert_true(make_temp_dir("ampsim-cap", dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/x.pcapng", dir);
	struct capture *c = capture_open(path, CAPTURE_BOB, err, sizeof(err));
	assert_non_null(c);
	static uint8_t frame[FRAME_MAX + FRAME_HDR];
	uint8_t pre[32];
	memset(pre, 5, 32);
	struct msg m;
	size_t n1 = frame_of(msg_fulfill(&m, "c2", 7, pre), frame);
	assert_true(capture_frame(c, 1500000, true, NULL, frame, n1));      /* bob sent */
	size_t n2 = frame_of(msg_ping(&m, 0), frame);
	assert_true(capture_frame(c, 0x100000002ULL, false, NULL, frame, n2)); /* received */
	assert_int_equal(capture_count(c), 2);
	capture_close(c);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t n;
	const uint8_t *b = slurp(path, &n);
	/* section header: type, length at both ends, byte-order magic */
	assert_int_equal(u32(b), 0x0A0D0D0A);
	uint32_t len = u32(b + 4);
	assert_int_equal(len % 4, 0);
	assert_int_equal(u32(b + len - 4), len);
	assert_int_equal(u32(b + 8), 0x1A2B3C4D);
	size_t at = len;
	/* interface: USER0 */
	assert_int_equal(u32(b + at), 1);
	uint16_t linktype;
	memcpy(&linktype, b + at + 8, 2);
	assert_int_equal(linktype, 147);
	at += u32(b + at + 4);
	/* first packet: sent by bob, so bob -> alice, channel c2 */
	assert_int_equal(u32(b + at), 6);
	uint32_t blen = u32(b + at + 4);
	assert_int_equal(u32(b + at + blen - 4), blen);
	uint64_t ts = ((uint64_t)u32(b + at + 12) << 32) | u32(b + at + 16);
	assert_int_equal(ts, 1500000);
	uint32_t caplen = u32(b + at + 20);
	const uint8_t *pkt = b + at + 28;
	assert_int_equal(pkt[0], CAPTURE_VERSION);
	assert_int_equal(pkt[1], CAPTURE_BOB);
	assert_int_equal(pkt[2], 1);
	assert_int_equal(pkt[3], 2);
	assert_memory_equal(pkt + 4, "c2", 2);
	assert_int_equal(caplen, 4 + 2 + (n1 - FRAME_HDR));
	/* the envelope follows, without the frame's length */
	Ampsim__Envelope *env = ampsim__envelope__unpack(NULL, n1 - FRAME_HDR, pkt + 6);
	assert_non_null(env);
	assert_int_equal(env->update_fulfill_htlc->htlc_id, 7);
	ampsim__envelope__free_unpacked(env, NULL);
	at += blen;
	/* second: received by bob, so alice -> bob, no channel; 64-bit time */
	assert_int_equal(u32(b + at), 6);
	ts = ((uint64_t)u32(b + at + 12) << 32) | u32(b + at + 16);
	assert_true(ts == 0x100000002ULL);
	pkt = b + at + 28;
	assert_int_equal(pkt[2], 0);
	assert_int_equal(pkt[3], 0);
	at += u32(b + at + 4);
	assert_int_equal(at, n);

	/* a second open appends a new section (a restarted daemon) */
	c = capture_open(path, CAPTURE_BOB, err, sizeof(err));
	assert_non_null(c);
	capture_close(c);
	size_t n3;
	b = slurp(path, &n3);
	assert_true(n3 > n);
	assert_int_equal(u32(b + n), 0x0A0D0D0A);
	unlink(path);
	rmdir(dir);
}

static void unwritable_path_is_an_error(void **state)
{
	(void)state;
	char err[128];
	assert_null(capture_open("/nonexistent-dir/x.pcapng", CAPTURE_ALICE, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/x.pcapng"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_and_packets),
		cmocka_unit_test(unwritable_path_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
