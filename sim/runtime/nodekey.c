#include "nodekey.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void finish(struct nodekey *k)
{
	if (noise_pubkey_from_privkey(k->priv, k->id) != NOISE_OK)
		return;
	noise_node_id_format(k->id, k->hex);
}

void nodekey_ephemeral(nodekey_rand rand, void *ctx, uint8_t e_priv[NOISE_PRIVKEY_LEN])
{
	do
		rand(ctx, e_priv, NOISE_PRIVKEY_LEN);
	while (!noise_privkey_valid(e_priv));
}

void nodekey_draw(nodekey_rand rand, void *ctx, struct nodekey *k)
{
	nodekey_ephemeral(rand, ctx, k->priv);
	finish(k);
}

static bool make(const char *path, nodekey_rand rand, void *ctx, struct nodekey *k, char *err,
		 size_t errlen)
{
	nodekey_draw(rand, ctx, k);
	char hex[2 * NOISE_PRIVKEY_LEN + 2];
	sodium_bin2hex(hex, sizeof(hex), k->priv, NOISE_PRIVKEY_LEN);
	strcat(hex, "\n");
	/* written whole under a temporary name (private whatever the umask),
	 * then linked into place: a crash never leaves a half key, and a key
	 * that appeared meanwhile is never replaced */
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		sodium_memzero(hex, sizeof(hex));
		return false;
	}
	bool ok = write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex) && fsync(fd) == 0;
	int saved = errno;
	if (close(fd) != 0)
		ok = false;
	sodium_memzero(hex, sizeof(hex));
	if (ok && link(tmp, path) != 0) {
		saved = errno;
		ok = false;
	}
	unlink(tmp);
	if (!ok && saved == EEXIST)
		return nodekey_load(path, rand, ctx, k, err, errlen);   /* another made it first */
	if (!ok) {
		snprintf(err, errlen, "%s: cannot write the new key: %s", path, strerror(saved));
		return false;
	}
	/* the new name survives a power loss too */
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return ok;
}

bool nodekey_load(const char *path, nodekey_rand rand, void *ctx, struct nodekey *k, char *err,
		  size_t errlen)
{
	memset(k, 0, sizeof(*k));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return make(path, rand, ctx, k, err, errlen);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	/* as ssh does with a private key: a key others may read (or replace)
	 * is no longer this node's alone, so it is refused, not used; the mode
	 * is checked on the file opened, not on the name */
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return false;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "%s: permissions %04o are too open: a node key must be readable by its "
			 "owner only (chmod 600 %s)",
			 path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return false;
	}
	char text[200];
	ssize_t got_n = read(fd, text, sizeof(text) - 1);
	int saved = errno;
	close(fd);
	if (got_n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return false;
	}
	size_t n = (size_t)got_n;
	text[n] = '\0';
	size_t len = strcspn(text, "\r\n");
	bool rest_blank = strspn(text + len, "\r\n") == n - len;
	size_t got = 0;
	if (len != 2 * NOISE_PRIVKEY_LEN || !rest_blank ||
	    sodium_hex2bin(k->priv, NOISE_PRIVKEY_LEN, text, len, NULL, &got, NULL) != 0 ||
	    got != NOISE_PRIVKEY_LEN) {
		snprintf(err, errlen, "%s: not a node key (expected 64 hex digits on one line)", path);
		sodium_memzero(text, sizeof(text));
		return false;
	}
	sodium_memzero(text, sizeof(text));
	if (!noise_privkey_valid(k->priv)) {
		snprintf(err, errlen, "%s: not a valid secp256k1 private key", path);
		sodium_memzero(k->priv, sizeof(k->priv));
		return false;
	}
	finish(k);
	return true;
}

bool nodekey_parse_target(const char *s, uint8_t id[NOISE_PUBKEY_LEN], char *addr, size_t addrlen)
{
	const char *at = strchr(s, '@');
	if (!at || at - s != NOISE_NODE_ID_HEX_LEN)
		return false;
	char hex[NOISE_NODE_ID_HEX_LEN + 1];
	memcpy(hex, s, NOISE_NODE_ID_HEX_LEN);
	hex[NOISE_NODE_ID_HEX_LEN] = '\0';
	if (noise_node_id_parse(hex, id) != NOISE_OK)
		return false;
	snprintf(addr, addrlen, "%s", at + 1);
	return true;
}
