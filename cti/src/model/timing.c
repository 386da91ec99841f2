/* timing.c - frame-rate model; constants are the [A]/[S] values from tools/gen_camera.py. */
#include "timing.h"

#include "../../generated/camera_regs.h"

double cam_timing_readout_us(uint32_t sensor_rows)
{
    return ((double)sensor_rows + (double)CAM_A_READOUT_EXTRA_ROWS) * CAM_A_LINE_TIME_US;
}

double cam_timing_frame_rate(const cam_timing_input *in)
{
    double fps = 1e6 / cam_timing_readout_us(in->sensor_rows);
    double link = in->throughput_limit_on ? in->throughput_limit_bps : (double)CAM_A_USB_CEILING_BPS;
    if (in->payload_bytes > 0 && link / (double)in->payload_bytes < fps)
        fps = link / (double)in->payload_bytes;
    double fexp = 1e6 / (in->exposure_us + CAM_A_EXPOSURE_OVERHEAD_US);
    if (fexp < fps)
        fps = fexp;
    if (in->frame_rate_enable && in->frame_rate_hz > 0 && in->frame_rate_hz < fps)
        fps = in->frame_rate_hz;
    return fps;
}
