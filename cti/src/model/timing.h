/* timing.h - the acA4112-20um frame-rate model (README "Timing model"; spec section 3).
 * Pure functions of the settings, so the C tests can check the spec's example table. */
#ifndef ACESIM_TIMING_H
#define ACESIM_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t sensor_rows;        /* Height * BinningVertical: binning does not shorten readout */
    size_t payload_bytes;        /* PayloadSize */
    bool throughput_limit_on;    /* DeviceLinkThroughputLimitMode */
    double throughput_limit_bps; /* DeviceLinkThroughputLimit */
    double exposure_us;          /* ExposureTime */
    bool frame_rate_enable;      /* AcquisitionFrameRateEnable */
    double frame_rate_hz;        /* AcquisitionFrameRate */
} cam_timing_input;

/* T_readout = (rows + READOUT_EXTRA_ROWS) * LINE_TIME_US, in microseconds (SensorReadoutTime). */
double cam_timing_readout_us(uint32_t sensor_rows);

/* ResultingFrameRate = min(1/T_readout, link bytes/s / payload, 1/(exposure + C_exp), AFR if on). */
double cam_timing_frame_rate(const cam_timing_input *in);

#endif
