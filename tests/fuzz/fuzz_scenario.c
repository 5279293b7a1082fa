/* Fuzz target: scenario files as ampsim run parses them. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "scenario.h"

const char *fuzz_name = "scenario";
static struct scenario scn;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char err[512];
	int rc = scenario_parse_string("fuzz.ini", text, &scn, err, sizeof(err));
	/* every refusal says where: "fuzz.ini:LINE: ..." */
	if (rc != 0 && strncmp(err, "fuzz.ini:", 9) != 0)
		abort();
	free(text);
	return 0;
}

static const char *texts[] = {
	"[sim]\nseed = 42\nblock_interval = 1s\ntime_scale = 10\n"
	"[bob]\nhold = 60s\nfinal_cltv_delta = 18\nbehaviour = honest\n"
	"[alice]\nbehaviour = honest\n"
	"[channel c1]\ncapacity = 1btc\nalice = 1btc\ndelay = 20ms\njitter = 5ms\n"
	"jitter_dist = normal\ndrop = 0.1\nmax_htlcs = 30\n"
	"[channel c2]\ncapacity = 1btc\nalice = 0.5btc\ndelay = 80ms ; slow\n"
	"[payment p1]\nat = 0s\namount = 2btc\nmode = amp\nshards = 2\nexpiry = 40blocks\ntimeout = 60s\n"
	"[fault f1]\nat = 10ms\nuntil = 2s\nchannel = c2\ndirection = both\naction = down\n"
	"[fault f2]\nat = 1s\nchannel = c1\naction = loss=ge:0.1,0.5\n"
	"[fault f3]\nat = 1s\nchannel = c1\ndirection = to_alice\naction = drop=fulfill#1\n"
	"[expect]\np1 = settled\nc1 = alice:0 bob:1btc\n",
	"[sim]\nseed = 1\n[channel a]\ncapacity = 5sat\n[payment p]\namount = 1500msat\nmode = mpp\n",
};

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	size_t n = 0;
	for (; n < sizeof(texts) / sizeof(texts[0]) && n < max; n++) {
		seeds[n].len = strlen(texts[n]);
		seeds[n].data = (uint8_t *)strdup(texts[n]);
	}
	return n;
}
