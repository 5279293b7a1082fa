/* ampsim key FILE: a daemon's node key. Makes FILE (0600, 64 hex digits)
 * when it is missing, and prints the node id: what `alice --connect
 * NODEID@HOST:PORT` and `bob --allow NODEID` are given. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "nodekey.h"
#include "secrets.h"

int cmd_key(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: ampsim key FILE\n"
		       "  print the node id of the key in FILE, making FILE (0600) when missing\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: ampsim key FILE\n");
		return 2;
	}
	struct nodekey k;
	char err[512];
	if (!nodekey_load(argv[1], system_secrets_bytes, NULL, &k, err, sizeof(err))) {
		fprintf(stderr, "ampsim key: %s\n", err);
		return 2;
	}
	printf("%s\n", k.hex);
	sodium_memzero(&k, sizeof(k));
	return 0;
}
