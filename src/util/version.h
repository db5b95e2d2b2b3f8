/*
 * version.h - the release number, in --version, the Server header, the
 * metrics' build_info and the image's labels (the Makefile reads it here).
 */
#ifndef OTU_VERSION_H
#define OTU_VERSION_H

#define OTU_VERSION "1.0.0"

#endif
