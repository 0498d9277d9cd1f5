/* event_wire.h - the field numbers of proto/event.proto and the protobuf wire types, for the
 * hand-written Event decoder and encoder (not a public header). */
#ifndef RL_EVENT_WIRE_H
#define RL_EVENT_WIRE_H

/* Field numbers of proto/event.proto. */
enum {
    EV_FORMAT_VERSION = 1,
    EV_LABEL = 2,
    EV_WEIGHT = 3,
    EV_FEATURES = 4,
    EV_DENSE = 5,
    EV_EVENT_TIME = 6,
    EV_KEY = 7,
    FT_NAME = 1,
    FT_INDEX = 2,
    FT_VALUE = 3,
};

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_FIXED32 = 5 };

#endif
