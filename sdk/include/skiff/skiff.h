/* skiff/skiff.h — everything a plugin needs, in one include. */
#ifndef SKIFF_SKIFF_H
#define SKIFF_SKIFF_H
#include "error.h"
#include "bus.h"
#include "host.h"
#include "plugin.h"
#include "store.h"
#include "scheduler.h"
#include "admission.h"
#include "runtime.h"
#include "network.h"
#endif
