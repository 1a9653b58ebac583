/* crc32.h: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF). */
#ifndef QT_CRC32_H
#define QT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc = qt_crc32_update(0xFFFFFFFF, ...)...; result = crc ^ 0xFFFFFFFF */
uint32_t qt_crc32_update(uint32_t crc, const uint8_t *p, size_t n);
uint32_t qt_crc32(const uint8_t *p, size_t n);

#endif
