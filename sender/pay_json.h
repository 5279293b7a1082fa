/* A payment and its parts as JSON, as alice's listpayments shows them:
 * shared by alice's control socket and the in-process run, which reads
 * the same engine. */
#ifndef AMPSIM_PAY_JSON_H
#define AMPSIM_PAY_JSON_H

#include <jansson.h>

#include "pay_engine.h"

json_t *pay_json(const struct pay_engine *e, const struct payment *p);

#endif
