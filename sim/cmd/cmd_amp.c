/* ampsim amp split|combine|derive: the AMP arithmetic of proto/amp.c,
 * one step at a time, in hex. */
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amp.h"
#include "cmds.h"
#include "proto_limits.h"
#include "units.h"

static bool hex32(const char *s, uint8_t out[AMP_LEN])
{
	size_t n = 0;
	const char *end;
	if (!s || strlen(s) != 2 * AMP_LEN)
		return false;
	return sodium_hex2bin(out, AMP_LEN, s, strlen(s), NULL, &n, &end) == 0 && n == AMP_LEN &&
	       *end == '\0';
}

static void print_hex(const char *label, const uint8_t b[AMP_LEN])
{
	char hex[2 * AMP_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), b, AMP_LEN);
	printf("%-9s %s\n", label, hex);
}

static void put_hex(json_t *o, const char *key, const uint8_t b[AMP_LEN])
{
	char hex[2 * AMP_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), b, AMP_LEN);
	json_object_set_new(o, key, json_string(hex));
}

static int emit(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	puts(s);
	free(s);
	json_decref(o);
	return 0;
}

static void amp_usage(FILE *f)
{
	fprintf(f,
		"usage:\n"
		"  ampsim amp split --root HEX --shares N [--json]\n"
		"      N random 32-byte shares whose XOR is the root (lnd's sharer)\n"
		"  ampsim amp combine SHARE... [--json]\n"
		"      the root: XOR of the shares\n"
		"  ampsim amp derive --root HEX --share HEX --index N [--json]\n"
		"      preimage = SHA256(root || share || be32(index)), hash = SHA256(preimage)\n"
		"Every HEX value is 64 hex digits (32 bytes).\n");
}

struct amp_args {
	const char *root, *share, *shares, *index;
	bool json;
	int nargs;                  /* the words after the options */
	char **args;
};

static int amp_derive_cmd(const struct amp_args *a)
{
	uint8_t root[AMP_LEN], share[AMP_LEN];
	uint64_t idx = 0;
	const char *why = "missing";
	if (!hex32(a->root, root)) {
		fprintf(stderr, "ampsim amp derive: --root must be 64 hex digits\n");
		return 2;
	}
	if (!hex32(a->share, share)) {
		fprintf(stderr, "ampsim amp derive: --share must be 64 hex digits\n");
		return 2;
	}
	if (!a->index || !uint_parse(a->index, &idx, &why) || idx > UINT32_MAX) {
		fprintf(stderr, "ampsim amp derive: --index must be 0..4294967295 (%s)\n",
			a->index ? (idx > UINT32_MAX ? "too large" : why) : why);
		return 2;
	}
	uint8_t pre[AMP_LEN], hash[AMP_LEN];
	amp_derive(root, share, (uint32_t)idx, pre, hash);
	if (a->json) {
		json_t *o = json_object();
		put_hex(o, "root", root);
		put_hex(o, "share", share);
		json_object_set_new(o, "index", json_integer((json_int_t)idx));
		put_hex(o, "preimage", pre);
		put_hex(o, "hash", hash);
		return emit(o);
	}
	printf("preimage = SHA256(root || share || be32(%llu))\n", (unsigned long long)idx);
	print_hex("preimage", pre);
	print_hex("hash", hash);
	return 0;
}

static int amp_combine_cmd(const struct amp_args *a)
{
	uint8_t root[AMP_LEN];
	if (a->nargs < 1) {
		fprintf(stderr, "ampsim amp combine: give at least one share\n");
		return 2;
	}
	uint8_t (*shares)[AMP_LEN] = calloc((size_t)a->nargs, AMP_LEN);
	for (int i = 0; i < a->nargs; i++) {
		if (!hex32(a->args[i], shares[i])) {
			fprintf(stderr, "ampsim amp combine: share %d '%s' is not 64 hex digits\n",
				i + 1, a->args[i]);
			free(shares);
			return 2;
		}
	}
	amp_combine(root, (const uint8_t (*)[AMP_LEN])shares, (size_t)a->nargs);
	free(shares);
	if (a->json) {
		json_t *o = json_object();
		put_hex(o, "root", root);
		return emit(o);
	}
	print_hex("root", root);
	return 0;
}

static int amp_split_cmd(const struct amp_args *a)
{
	uint8_t root[AMP_LEN];
	uint64_t n;
	const char *why = "missing";
	if (!hex32(a->root, root)) {
		fprintf(stderr, "ampsim amp split: --root must be 64 hex digits\n");
		return 2;
	}
	if (!a->shares || !uint_parse(a->shares, &n, &why) || n < 1 || n > MAX_HTLCS) {
		fprintf(stderr, "ampsim amp split: --shares must be 1..%d\n", MAX_HTLCS);
		return 2;
	}
	uint8_t (*shares)[AMP_LEN] = calloc(n, AMP_LEN);
	amp_split(root, shares, n);
	if (a->json) {
		json_t *o = json_object(), *arr = json_array();
		put_hex(o, "root", root);
		for (size_t i = 0; i < n; i++) {
			char hex[2 * AMP_LEN + 1];
			sodium_bin2hex(hex, sizeof(hex), shares[i], AMP_LEN);
			json_array_append_new(arr, json_string(hex));
		}
		json_object_set_new(o, "shares", arr);
		free(shares);
		return emit(o);
	}
	for (size_t i = 0; i < n; i++) {
		char label[32];
		snprintf(label, sizeof(label), "share%zu", i + 1);
		print_hex(label, shares[i]);
	}
	free(shares);
	return 0;
}

int cmd_amp(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "share", required_argument, NULL, 's' },
		{ "shares", required_argument, NULL, 'n' },
		{ "index", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct amp_args a = { NULL, NULL, NULL, NULL, false, 0, NULL };
	int c;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		amp_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': a.root = optarg; break;
		case 's': a.share = optarg; break;
		case 'n': a.shares = optarg; break;
		case 'i': a.index = optarg; break;
		case 'j': a.json = true; break;
		case 'h': amp_usage(stdout); return 0;
		default: amp_usage(stderr); return 2;
		}
	}
	a.nargs = argc - 1 - optind;
	a.args = argv + 1 + optind;
	if (strcmp(sub, "derive") == 0)
		return amp_derive_cmd(&a);
	if (strcmp(sub, "combine") == 0)
		return amp_combine_cmd(&a);
	if (strcmp(sub, "split") == 0)
		return amp_split_cmd(&a);
	fprintf(stderr, "ampsim amp: unknown step '%s' (split, combine or derive)\n", sub);
	return 2;
}
