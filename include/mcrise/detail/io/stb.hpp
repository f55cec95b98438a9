#pragma once
/// @file detail/io/stb.hpp
/// @brief Private copies of stb_image, stb_image_write and stb_easy_font for mcrise.
///
/// How this stays out of the user's way (the user may use stb too, in the
/// same program or even the same translation unit, before or after us):
///  - Every stb macro (configuration, include guards, internal helpers) is
///    saved with `#pragma push_macro`, undefined, and restored with
///    `pop_macro` afterwards, so the user's stb configuration neither leaks
///    into our copy nor is changed by it, and a later `#include <stb/...>` by
///    the user sees a pristine state.
///  - The implementation is compiled with STB_IMAGE_STATIC /
///    STB_IMAGE_WRITE_STATIC (internal linkage: every translation unit gets a
///    private copy, nothing is exported to the linker) inside the namespace
///    mcrise::detail::stb, so even in one translation unit our declarations
///    never clash with the user's global ones.
///  - stb_image declares its API inside `extern "C"`, where a namespace does
///    not change the symbol name; those functions are therefore renamed with
///    a `mcrise_detail_` prefix while we include it.
///  - The C headers stb needs are included first, at global scope, so that
///    their include guards keep them out of our namespace.
///  - stb's own warnings are silenced locally; our targets use -Werror.
/// The lists of macro names below were generated from stb_image 2.27 and
/// stb_image_write 1.16; newer versions still work unless they add a macro
/// that clashes with one of their own function names.
///
/// Use only through mcrise/io.hpp and mcrise/render.hpp.

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#endif

// ---- save every stb macro and start from a clean slate (generated list) ----
#pragma push_macro("FAST_BITS")
#undef FAST_BITS
#pragma push_macro("INCLUDE_STB_EASY_FONT_H")
#undef INCLUDE_STB_EASY_FONT_H
#pragma push_macro("INCLUDE_STB_IMAGE_WRITE_H")
#undef INCLUDE_STB_IMAGE_WRITE_H
#pragma push_macro("STBIDEF")
#undef STBIDEF
#pragma push_macro("STBIWDEF")
#undef STBIWDEF
#pragma push_macro("STBIW_ASSERT")
#undef STBIW_ASSERT
#pragma push_macro("STBIW_CRC32")
#undef STBIW_CRC32
#pragma push_macro("STBIW_EXTERN")
#undef STBIW_EXTERN
#pragma push_macro("STBIW_FREE")
#undef STBIW_FREE
#pragma push_macro("STBIW_MALLOC")
#undef STBIW_MALLOC
#pragma push_macro("STBIW_MEMMOVE")
#undef STBIW_MEMMOVE
#pragma push_macro("STBIW_REALLOC")
#undef STBIW_REALLOC
#pragma push_macro("STBIW_REALLOC_SIZED")
#undef STBIW_REALLOC_SIZED
#pragma push_macro("STBIW_UCHAR")
#undef STBIW_UCHAR
#pragma push_macro("STBIW_WINDOWS_UTF8")
#undef STBIW_WINDOWS_UTF8
#pragma push_macro("STBIW_ZLIB_COMPRESS")
#undef STBIW_ZLIB_COMPRESS
#pragma push_macro("STBI_ASSERT")
#undef STBI_ASSERT
#pragma push_macro("STBI_EXTERN")
#undef STBI_EXTERN
#pragma push_macro("STBI_FAILURE_USERMSG")
#undef STBI_FAILURE_USERMSG
#pragma push_macro("STBI_FREE")
#undef STBI_FREE
#pragma push_macro("STBI_HAS_LROTL")
#undef STBI_HAS_LROTL
#pragma push_macro("STBI_INCLUDE_STB_IMAGE_H")
#undef STBI_INCLUDE_STB_IMAGE_H
#pragma push_macro("STBI_MALLOC")
#undef STBI_MALLOC
#pragma push_macro("STBI_MAX_DIMENSIONS")
#undef STBI_MAX_DIMENSIONS
#pragma push_macro("STBI_MINGW_ENABLE_SSE2")
#undef STBI_MINGW_ENABLE_SSE2
#pragma push_macro("STBI_NEON")
#undef STBI_NEON
#pragma push_macro("STBI_NOTUSED")
#undef STBI_NOTUSED
#pragma push_macro("STBI_NO_BMP")
#undef STBI_NO_BMP
#pragma push_macro("STBI_NO_FAILURE_STRINGS")
#undef STBI_NO_FAILURE_STRINGS
#pragma push_macro("STBI_NO_GIF")
#undef STBI_NO_GIF
#pragma push_macro("STBI_NO_HDR")
#undef STBI_NO_HDR
#pragma push_macro("STBI_NO_JPEG")
#undef STBI_NO_JPEG
#pragma push_macro("STBI_NO_LINEAR")
#undef STBI_NO_LINEAR
#pragma push_macro("STBI_NO_PIC")
#undef STBI_NO_PIC
#pragma push_macro("STBI_NO_PNG")
#undef STBI_NO_PNG
#pragma push_macro("STBI_NO_PNM")
#undef STBI_NO_PNM
#pragma push_macro("STBI_NO_PSD")
#undef STBI_NO_PSD
#pragma push_macro("STBI_NO_SIMD")
#undef STBI_NO_SIMD
#pragma push_macro("STBI_NO_STDIO")
#undef STBI_NO_STDIO
#pragma push_macro("STBI_NO_TGA")
#undef STBI_NO_TGA
#pragma push_macro("STBI_NO_THREAD_LOCALS")
#undef STBI_NO_THREAD_LOCALS
#pragma push_macro("STBI_NO_ZLIB")
#undef STBI_NO_ZLIB
#pragma push_macro("STBI_ONLY_BMP")
#undef STBI_ONLY_BMP
#pragma push_macro("STBI_ONLY_GIF")
#undef STBI_ONLY_GIF
#pragma push_macro("STBI_ONLY_HDR")
#undef STBI_ONLY_HDR
#pragma push_macro("STBI_ONLY_JPEG")
#undef STBI_ONLY_JPEG
#pragma push_macro("STBI_ONLY_PIC")
#undef STBI_ONLY_PIC
#pragma push_macro("STBI_ONLY_PNG")
#undef STBI_ONLY_PNG
#pragma push_macro("STBI_ONLY_PNM")
#undef STBI_ONLY_PNM
#pragma push_macro("STBI_ONLY_PSD")
#undef STBI_ONLY_PSD
#pragma push_macro("STBI_ONLY_TGA")
#undef STBI_ONLY_TGA
#pragma push_macro("STBI_REALLOC")
#undef STBI_REALLOC
#pragma push_macro("STBI_REALLOC_SIZED")
#undef STBI_REALLOC_SIZED
#pragma push_macro("STBI_SIMD_ALIGN")
#undef STBI_SIMD_ALIGN
#pragma push_macro("STBI_SSE2")
#undef STBI_SSE2
#pragma push_macro("STBI_SUPPORT_ZLIB")
#undef STBI_SUPPORT_ZLIB
#pragma push_macro("STBI_THREAD_LOCAL")
#undef STBI_THREAD_LOCAL
#pragma push_macro("STBI_VERSION")
#undef STBI_VERSION
#pragma push_macro("STBI_WINDOWS_UTF8")
#undef STBI_WINDOWS_UTF8
#pragma push_macro("STBI_WRITE_NO_STDIO")
#undef STBI_WRITE_NO_STDIO
#pragma push_macro("STBI__BYTECAST")
#undef STBI__BYTECAST
#pragma push_macro("STBI__CASE")
#undef STBI__CASE
#pragma push_macro("STBI__COMBO")
#undef STBI__COMBO
#pragma push_macro("STBI__HDR_BUFLEN")
#undef STBI__HDR_BUFLEN
#pragma push_macro("STBI__IDCT_1D")
#undef STBI__IDCT_1D
#pragma push_macro("STBI__MARKER_none")
#undef STBI__MARKER_none
#pragma push_macro("STBI__PNG_TYPE")
#undef STBI__PNG_TYPE
#pragma push_macro("STBI__RESTART")
#undef STBI__RESTART
#pragma push_macro("STBI__X64_TARGET")
#undef STBI__X64_TARGET
#pragma push_macro("STBI__X86_TARGET")
#undef STBI__X86_TARGET
#pragma push_macro("STBI__ZFAST_BITS")
#undef STBI__ZFAST_BITS
#pragma push_macro("STBI__ZFAST_MASK")
#undef STBI__ZFAST_MASK
#pragma push_macro("STBI__ZNSYMS")
#undef STBI__ZNSYMS
#pragma push_macro("STB_IMAGE_IMPLEMENTATION")
#undef STB_IMAGE_IMPLEMENTATION
#pragma push_macro("STB_IMAGE_STATIC")
#undef STB_IMAGE_STATIC
#pragma push_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#pragma push_macro("STB_IMAGE_WRITE_STATIC")
#undef STB_IMAGE_WRITE_STATIC
#pragma push_macro("_CRT_NONSTDC_NO_DEPRECATE")
#undef _CRT_NONSTDC_NO_DEPRECATE
#pragma push_macro("_CRT_SECURE_NO_WARNINGS")
#undef _CRT_SECURE_NO_WARNINGS
#pragma push_macro("dct_bfly32o")
#undef dct_bfly32o
#pragma push_macro("dct_const")
#undef dct_const
#pragma push_macro("dct_interleave16")
#undef dct_interleave16
#pragma push_macro("dct_interleave8")
#undef dct_interleave8
#pragma push_macro("dct_long_mac")
#undef dct_long_mac
#pragma push_macro("dct_long_mul")
#undef dct_long_mul
#pragma push_macro("dct_pass")
#undef dct_pass
#pragma push_macro("dct_rot")
#undef dct_rot
#pragma push_macro("dct_trn16")
#undef dct_trn16
#pragma push_macro("dct_trn32")
#undef dct_trn32
#pragma push_macro("dct_trn64")
#undef dct_trn64
#pragma push_macro("dct_trn8_16")
#undef dct_trn8_16
#pragma push_macro("dct_trn8_32")
#undef dct_trn8_32
#pragma push_macro("dct_trn8_8")
#undef dct_trn8_8
#pragma push_macro("dct_wadd")
#undef dct_wadd
#pragma push_macro("dct_widen")
#undef dct_widen
#pragma push_macro("dct_wsub")
#undef dct_wsub
#pragma push_macro("stbi__DNL")
#undef stbi__DNL
#pragma push_macro("stbi__EOI")
#undef stbi__EOI
#pragma push_macro("stbi__SOF")
#undef stbi__SOF
#pragma push_macro("stbi__SOF_progressive")
#undef stbi__SOF_progressive
#pragma push_macro("stbi__SOI")
#undef stbi__SOI
#pragma push_macro("stbi__SOS")
#undef stbi__SOS
#pragma push_macro("stbi__de_iphone_flag")
#undef stbi__de_iphone_flag
#pragma push_macro("stbi__div16")
#undef stbi__div16
#pragma push_macro("stbi__div4")
#undef stbi__div4
#pragma push_macro("stbi__err")
#undef stbi__err
#pragma push_macro("stbi__errpf")
#undef stbi__errpf
#pragma push_macro("stbi__errpuc")
#undef stbi__errpuc
#pragma push_macro("stbi__f2f")
#undef stbi__f2f
#pragma push_macro("stbi__float2fixed")
#undef stbi__float2fixed
#pragma push_macro("stbi__float2int")
#undef stbi__float2int
#pragma push_macro("stbi__fsh")
#undef stbi__fsh
#pragma push_macro("stbi__unpremultiply_on_load")
#undef stbi__unpremultiply_on_load
#pragma push_macro("stbi__vertically_flip_on_load")
#undef stbi__vertically_flip_on_load
#pragma push_macro("stbi_convert_iphone_png_to_rgb")
#undef stbi_convert_iphone_png_to_rgb
#pragma push_macro("stbi_convert_iphone_png_to_rgb_thread")
#undef stbi_convert_iphone_png_to_rgb_thread
#pragma push_macro("stbi_convert_wchar_to_utf8")
#undef stbi_convert_wchar_to_utf8
#pragma push_macro("stbi_failure_reason")
#undef stbi_failure_reason
#pragma push_macro("stbi_hdr_to_ldr_gamma")
#undef stbi_hdr_to_ldr_gamma
#pragma push_macro("stbi_hdr_to_ldr_scale")
#undef stbi_hdr_to_ldr_scale
#pragma push_macro("stbi_image_free")
#undef stbi_image_free
#pragma push_macro("stbi_info")
#undef stbi_info
#pragma push_macro("stbi_info_from_callbacks")
#undef stbi_info_from_callbacks
#pragma push_macro("stbi_info_from_file")
#undef stbi_info_from_file
#pragma push_macro("stbi_info_from_memory")
#undef stbi_info_from_memory
#pragma push_macro("stbi_inline")
#undef stbi_inline
#pragma push_macro("stbi_is_16_bit")
#undef stbi_is_16_bit
#pragma push_macro("stbi_is_16_bit_from_callbacks")
#undef stbi_is_16_bit_from_callbacks
#pragma push_macro("stbi_is_16_bit_from_file")
#undef stbi_is_16_bit_from_file
#pragma push_macro("stbi_is_16_bit_from_memory")
#undef stbi_is_16_bit_from_memory
#pragma push_macro("stbi_is_hdr")
#undef stbi_is_hdr
#pragma push_macro("stbi_is_hdr_from_callbacks")
#undef stbi_is_hdr_from_callbacks
#pragma push_macro("stbi_is_hdr_from_file")
#undef stbi_is_hdr_from_file
#pragma push_macro("stbi_is_hdr_from_memory")
#undef stbi_is_hdr_from_memory
#pragma push_macro("stbi_ldr_to_hdr_gamma")
#undef stbi_ldr_to_hdr_gamma
#pragma push_macro("stbi_ldr_to_hdr_scale")
#undef stbi_ldr_to_hdr_scale
#pragma push_macro("stbi_load")
#undef stbi_load
#pragma push_macro("stbi_load_16")
#undef stbi_load_16
#pragma push_macro("stbi_load_16_from_callbacks")
#undef stbi_load_16_from_callbacks
#pragma push_macro("stbi_load_16_from_memory")
#undef stbi_load_16_from_memory
#pragma push_macro("stbi_load_from_callbacks")
#undef stbi_load_from_callbacks
#pragma push_macro("stbi_load_from_file")
#undef stbi_load_from_file
#pragma push_macro("stbi_load_from_file_16")
#undef stbi_load_from_file_16
#pragma push_macro("stbi_load_from_memory")
#undef stbi_load_from_memory
#pragma push_macro("stbi_load_gif_from_memory")
#undef stbi_load_gif_from_memory
#pragma push_macro("stbi_loadf")
#undef stbi_loadf
#pragma push_macro("stbi_loadf_from_callbacks")
#undef stbi_loadf_from_callbacks
#pragma push_macro("stbi_loadf_from_file")
#undef stbi_loadf_from_file
#pragma push_macro("stbi_loadf_from_memory")
#undef stbi_loadf_from_memory
#pragma push_macro("stbi_lrot")
#undef stbi_lrot
#pragma push_macro("stbi_set_flip_vertically_on_load")
#undef stbi_set_flip_vertically_on_load
#pragma push_macro("stbi_set_flip_vertically_on_load_thread")
#undef stbi_set_flip_vertically_on_load_thread
#pragma push_macro("stbi_set_unpremultiply_on_load")
#undef stbi_set_unpremultiply_on_load
#pragma push_macro("stbi_set_unpremultiply_on_load_thread")
#undef stbi_set_unpremultiply_on_load_thread
#pragma push_macro("stbi_zlib_decode_buffer")
#undef stbi_zlib_decode_buffer
#pragma push_macro("stbi_zlib_decode_malloc")
#undef stbi_zlib_decode_malloc
#pragma push_macro("stbi_zlib_decode_malloc_guesssize")
#undef stbi_zlib_decode_malloc_guesssize
#pragma push_macro("stbi_zlib_decode_malloc_guesssize_headerflag")
#undef stbi_zlib_decode_malloc_guesssize_headerflag
#pragma push_macro("stbi_zlib_decode_noheader_buffer")
#undef stbi_zlib_decode_noheader_buffer
#pragma push_macro("stbi_zlib_decode_noheader_malloc")
#undef stbi_zlib_decode_noheader_malloc
#pragma push_macro("stbiw__ZHASH")
#undef stbiw__ZHASH
#pragma push_macro("stbiw__max")
#undef stbiw__max
#pragma push_macro("stbiw__sbcount")
#undef stbiw__sbcount
#pragma push_macro("stbiw__sbfree")
#undef stbiw__sbfree
#pragma push_macro("stbiw__sbgrow")
#undef stbiw__sbgrow
#pragma push_macro("stbiw__sbm")
#undef stbiw__sbm
#pragma push_macro("stbiw__sbmaybegrow")
#undef stbiw__sbmaybegrow
#pragma push_macro("stbiw__sbn")
#undef stbiw__sbn
#pragma push_macro("stbiw__sbneedgrow")
#undef stbiw__sbneedgrow
#pragma push_macro("stbiw__sbpush")
#undef stbiw__sbpush
#pragma push_macro("stbiw__sbraw")
#undef stbiw__sbraw
#pragma push_macro("stbiw__wp32")
#undef stbiw__wp32
#pragma push_macro("stbiw__wpng4")
#undef stbiw__wpng4
#pragma push_macro("stbiw__wptag")
#undef stbiw__wptag
#pragma push_macro("stbiw__zlib_add")
#undef stbiw__zlib_add
#pragma push_macro("stbiw__zlib_flush")
#undef stbiw__zlib_flush
#pragma push_macro("stbiw__zlib_huff")
#undef stbiw__zlib_huff
#pragma push_macro("stbiw__zlib_huff1")
#undef stbiw__zlib_huff1
#pragma push_macro("stbiw__zlib_huff2")
#undef stbiw__zlib_huff2
#pragma push_macro("stbiw__zlib_huff3")
#undef stbiw__zlib_huff3
#pragma push_macro("stbiw__zlib_huff4")
#undef stbiw__zlib_huff4
#pragma push_macro("stbiw__zlib_huffa")
#undef stbiw__zlib_huffa
#pragma push_macro("stbiw__zlib_huffb")
#undef stbiw__zlib_huffb
// ---- rename the extern "C" API of stb_image (generated list) ----
#define stbi_convert_iphone_png_to_rgb mcrise_detail_stbi_convert_iphone_png_to_rgb
#define stbi_convert_iphone_png_to_rgb_thread mcrise_detail_stbi_convert_iphone_png_to_rgb_thread
#define stbi_convert_wchar_to_utf8 mcrise_detail_stbi_convert_wchar_to_utf8
#define stbi_failure_reason mcrise_detail_stbi_failure_reason
#define stbi_hdr_to_ldr_gamma mcrise_detail_stbi_hdr_to_ldr_gamma
#define stbi_hdr_to_ldr_scale mcrise_detail_stbi_hdr_to_ldr_scale
#define stbi_image_free mcrise_detail_stbi_image_free
#define stbi_info mcrise_detail_stbi_info
#define stbi_info_from_callbacks mcrise_detail_stbi_info_from_callbacks
#define stbi_info_from_file mcrise_detail_stbi_info_from_file
#define stbi_info_from_memory mcrise_detail_stbi_info_from_memory
#define stbi_is_16_bit mcrise_detail_stbi_is_16_bit
#define stbi_is_16_bit_from_callbacks mcrise_detail_stbi_is_16_bit_from_callbacks
#define stbi_is_16_bit_from_file mcrise_detail_stbi_is_16_bit_from_file
#define stbi_is_16_bit_from_memory mcrise_detail_stbi_is_16_bit_from_memory
#define stbi_is_hdr mcrise_detail_stbi_is_hdr
#define stbi_is_hdr_from_callbacks mcrise_detail_stbi_is_hdr_from_callbacks
#define stbi_is_hdr_from_file mcrise_detail_stbi_is_hdr_from_file
#define stbi_is_hdr_from_memory mcrise_detail_stbi_is_hdr_from_memory
#define stbi_ldr_to_hdr_gamma mcrise_detail_stbi_ldr_to_hdr_gamma
#define stbi_ldr_to_hdr_scale mcrise_detail_stbi_ldr_to_hdr_scale
#define stbi_load mcrise_detail_stbi_load
#define stbi_load_16 mcrise_detail_stbi_load_16
#define stbi_load_16_from_callbacks mcrise_detail_stbi_load_16_from_callbacks
#define stbi_load_16_from_memory mcrise_detail_stbi_load_16_from_memory
#define stbi_load_from_callbacks mcrise_detail_stbi_load_from_callbacks
#define stbi_load_from_file mcrise_detail_stbi_load_from_file
#define stbi_load_from_file_16 mcrise_detail_stbi_load_from_file_16
#define stbi_load_from_memory mcrise_detail_stbi_load_from_memory
#define stbi_load_gif_from_memory mcrise_detail_stbi_load_gif_from_memory
#define stbi_loadf mcrise_detail_stbi_loadf
#define stbi_loadf_from_callbacks mcrise_detail_stbi_loadf_from_callbacks
#define stbi_loadf_from_file mcrise_detail_stbi_loadf_from_file
#define stbi_loadf_from_memory mcrise_detail_stbi_loadf_from_memory
#define stbi_set_flip_vertically_on_load mcrise_detail_stbi_set_flip_vertically_on_load
#define stbi_set_flip_vertically_on_load_thread mcrise_detail_stbi_set_flip_vertically_on_load_thread
#define stbi_set_unpremultiply_on_load mcrise_detail_stbi_set_unpremultiply_on_load
#define stbi_set_unpremultiply_on_load_thread mcrise_detail_stbi_set_unpremultiply_on_load_thread
#define stbi_zlib_decode_buffer mcrise_detail_stbi_zlib_decode_buffer
#define stbi_zlib_decode_malloc mcrise_detail_stbi_zlib_decode_malloc
#define stbi_zlib_decode_malloc_guesssize mcrise_detail_stbi_zlib_decode_malloc_guesssize
#define stbi_zlib_decode_malloc_guesssize_headerflag mcrise_detail_stbi_zlib_decode_malloc_guesssize_headerflag
#define stbi_zlib_decode_noheader_buffer mcrise_detail_stbi_zlib_decode_noheader_buffer
#define stbi_zlib_decode_noheader_malloc mcrise_detail_stbi_zlib_decode_noheader_malloc

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
// stb_image's asserts are internal sanity checks that hostile files can trip
// (fuzz/run.sh found one in the JPEG Huffman decoder, regression file
// tests/data/broken/jpeg_huffman_assert.jpg); the code right before each one
// already bounds what it reads. A user's debug build must not abort() on a
// crafted image, so they are compiled out here, as in any NDEBUG build.
#define STBI_ASSERT(x) ((void)0)
// stb_image does not initialise its allocations, and a corrupt JPEG whose scan names a Huffman
// table that no DHT segment defined makes it decode with that uninitialised table: an index from
// garbage, read far past the table (fuzz/run.sh; tests/data/broken/jpeg_undefined_huffman.jpg:
// UBSan "index 7947 out of bounds for type stbi_uc[256]"). In zeroed memory such a table decodes
// every code as symbol 0 of length 0 (a DC difference of 0, an end of block) and never indexes out
// of it, so the private copy allocates zeroed memory: no uninitialised read anywhere in stb.
#define STBI_MALLOC(sz) calloc(1, sz)
#define STBI_REALLOC(p, newsz) realloc(p, newsz)
#define STBI_FREE(p) free(p)
#define STBIW_ASSERT(x) assert(x)
#if !(defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)))
#define STBI_NO_SIMD
#endif

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wall"
#pragma clang diagnostic ignored "-Wextra"
#pragma clang diagnostic ignored "-Wpedantic"
#pragma clang diagnostic ignored "-Wunused-function"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#elif defined(_MSC_VER)
#pragma warning(push, 0)
#endif

namespace mcrise {
namespace detail {
namespace stb {
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>
}  // namespace stb
}  // namespace detail
}  // namespace mcrise

#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#elif defined(_MSC_VER)
#pragma warning(pop)
#endif

// ---- restore the user's stb macros exactly as they were (generated list) ----
#undef FAST_BITS
#pragma pop_macro("FAST_BITS")
#undef INCLUDE_STB_EASY_FONT_H
#pragma pop_macro("INCLUDE_STB_EASY_FONT_H")
#undef INCLUDE_STB_IMAGE_WRITE_H
#pragma pop_macro("INCLUDE_STB_IMAGE_WRITE_H")
#undef STBIDEF
#pragma pop_macro("STBIDEF")
#undef STBIWDEF
#pragma pop_macro("STBIWDEF")
#undef STBIW_ASSERT
#pragma pop_macro("STBIW_ASSERT")
#undef STBIW_CRC32
#pragma pop_macro("STBIW_CRC32")
#undef STBIW_EXTERN
#pragma pop_macro("STBIW_EXTERN")
#undef STBIW_FREE
#pragma pop_macro("STBIW_FREE")
#undef STBIW_MALLOC
#pragma pop_macro("STBIW_MALLOC")
#undef STBIW_MEMMOVE
#pragma pop_macro("STBIW_MEMMOVE")
#undef STBIW_REALLOC
#pragma pop_macro("STBIW_REALLOC")
#undef STBIW_REALLOC_SIZED
#pragma pop_macro("STBIW_REALLOC_SIZED")
#undef STBIW_UCHAR
#pragma pop_macro("STBIW_UCHAR")
#undef STBIW_WINDOWS_UTF8
#pragma pop_macro("STBIW_WINDOWS_UTF8")
#undef STBIW_ZLIB_COMPRESS
#pragma pop_macro("STBIW_ZLIB_COMPRESS")
#undef STBI_ASSERT
#pragma pop_macro("STBI_ASSERT")
#undef STBI_EXTERN
#pragma pop_macro("STBI_EXTERN")
#undef STBI_FAILURE_USERMSG
#pragma pop_macro("STBI_FAILURE_USERMSG")
#undef STBI_FREE
#pragma pop_macro("STBI_FREE")
#undef STBI_HAS_LROTL
#pragma pop_macro("STBI_HAS_LROTL")
#undef STBI_INCLUDE_STB_IMAGE_H
#pragma pop_macro("STBI_INCLUDE_STB_IMAGE_H")
#undef STBI_MALLOC
#pragma pop_macro("STBI_MALLOC")
#undef STBI_MAX_DIMENSIONS
#pragma pop_macro("STBI_MAX_DIMENSIONS")
#undef STBI_MINGW_ENABLE_SSE2
#pragma pop_macro("STBI_MINGW_ENABLE_SSE2")
#undef STBI_NEON
#pragma pop_macro("STBI_NEON")
#undef STBI_NOTUSED
#pragma pop_macro("STBI_NOTUSED")
#undef STBI_NO_BMP
#pragma pop_macro("STBI_NO_BMP")
#undef STBI_NO_FAILURE_STRINGS
#pragma pop_macro("STBI_NO_FAILURE_STRINGS")
#undef STBI_NO_GIF
#pragma pop_macro("STBI_NO_GIF")
#undef STBI_NO_HDR
#pragma pop_macro("STBI_NO_HDR")
#undef STBI_NO_JPEG
#pragma pop_macro("STBI_NO_JPEG")
#undef STBI_NO_LINEAR
#pragma pop_macro("STBI_NO_LINEAR")
#undef STBI_NO_PIC
#pragma pop_macro("STBI_NO_PIC")
#undef STBI_NO_PNG
#pragma pop_macro("STBI_NO_PNG")
#undef STBI_NO_PNM
#pragma pop_macro("STBI_NO_PNM")
#undef STBI_NO_PSD
#pragma pop_macro("STBI_NO_PSD")
#undef STBI_NO_SIMD
#pragma pop_macro("STBI_NO_SIMD")
#undef STBI_NO_STDIO
#pragma pop_macro("STBI_NO_STDIO")
#undef STBI_NO_TGA
#pragma pop_macro("STBI_NO_TGA")
#undef STBI_NO_THREAD_LOCALS
#pragma pop_macro("STBI_NO_THREAD_LOCALS")
#undef STBI_NO_ZLIB
#pragma pop_macro("STBI_NO_ZLIB")
#undef STBI_ONLY_BMP
#pragma pop_macro("STBI_ONLY_BMP")
#undef STBI_ONLY_GIF
#pragma pop_macro("STBI_ONLY_GIF")
#undef STBI_ONLY_HDR
#pragma pop_macro("STBI_ONLY_HDR")
#undef STBI_ONLY_JPEG
#pragma pop_macro("STBI_ONLY_JPEG")
#undef STBI_ONLY_PIC
#pragma pop_macro("STBI_ONLY_PIC")
#undef STBI_ONLY_PNG
#pragma pop_macro("STBI_ONLY_PNG")
#undef STBI_ONLY_PNM
#pragma pop_macro("STBI_ONLY_PNM")
#undef STBI_ONLY_PSD
#pragma pop_macro("STBI_ONLY_PSD")
#undef STBI_ONLY_TGA
#pragma pop_macro("STBI_ONLY_TGA")
#undef STBI_REALLOC
#pragma pop_macro("STBI_REALLOC")
#undef STBI_REALLOC_SIZED
#pragma pop_macro("STBI_REALLOC_SIZED")
#undef STBI_SIMD_ALIGN
#pragma pop_macro("STBI_SIMD_ALIGN")
#undef STBI_SSE2
#pragma pop_macro("STBI_SSE2")
#undef STBI_SUPPORT_ZLIB
#pragma pop_macro("STBI_SUPPORT_ZLIB")
#undef STBI_THREAD_LOCAL
#pragma pop_macro("STBI_THREAD_LOCAL")
#undef STBI_VERSION
#pragma pop_macro("STBI_VERSION")
#undef STBI_WINDOWS_UTF8
#pragma pop_macro("STBI_WINDOWS_UTF8")
#undef STBI_WRITE_NO_STDIO
#pragma pop_macro("STBI_WRITE_NO_STDIO")
#undef STBI__BYTECAST
#pragma pop_macro("STBI__BYTECAST")
#undef STBI__CASE
#pragma pop_macro("STBI__CASE")
#undef STBI__COMBO
#pragma pop_macro("STBI__COMBO")
#undef STBI__HDR_BUFLEN
#pragma pop_macro("STBI__HDR_BUFLEN")
#undef STBI__IDCT_1D
#pragma pop_macro("STBI__IDCT_1D")
#undef STBI__MARKER_none
#pragma pop_macro("STBI__MARKER_none")
#undef STBI__PNG_TYPE
#pragma pop_macro("STBI__PNG_TYPE")
#undef STBI__RESTART
#pragma pop_macro("STBI__RESTART")
#undef STBI__X64_TARGET
#pragma pop_macro("STBI__X64_TARGET")
#undef STBI__X86_TARGET
#pragma pop_macro("STBI__X86_TARGET")
#undef STBI__ZFAST_BITS
#pragma pop_macro("STBI__ZFAST_BITS")
#undef STBI__ZFAST_MASK
#pragma pop_macro("STBI__ZFAST_MASK")
#undef STBI__ZNSYMS
#pragma pop_macro("STBI__ZNSYMS")
#undef STB_IMAGE_IMPLEMENTATION
#pragma pop_macro("STB_IMAGE_IMPLEMENTATION")
#undef STB_IMAGE_STATIC
#pragma pop_macro("STB_IMAGE_STATIC")
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#pragma pop_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#undef STB_IMAGE_WRITE_STATIC
#pragma pop_macro("STB_IMAGE_WRITE_STATIC")
#undef _CRT_NONSTDC_NO_DEPRECATE
#pragma pop_macro("_CRT_NONSTDC_NO_DEPRECATE")
#undef _CRT_SECURE_NO_WARNINGS
#pragma pop_macro("_CRT_SECURE_NO_WARNINGS")
#undef dct_bfly32o
#pragma pop_macro("dct_bfly32o")
#undef dct_const
#pragma pop_macro("dct_const")
#undef dct_interleave16
#pragma pop_macro("dct_interleave16")
#undef dct_interleave8
#pragma pop_macro("dct_interleave8")
#undef dct_long_mac
#pragma pop_macro("dct_long_mac")
#undef dct_long_mul
#pragma pop_macro("dct_long_mul")
#undef dct_pass
#pragma pop_macro("dct_pass")
#undef dct_rot
#pragma pop_macro("dct_rot")
#undef dct_trn16
#pragma pop_macro("dct_trn16")
#undef dct_trn32
#pragma pop_macro("dct_trn32")
#undef dct_trn64
#pragma pop_macro("dct_trn64")
#undef dct_trn8_16
#pragma pop_macro("dct_trn8_16")
#undef dct_trn8_32
#pragma pop_macro("dct_trn8_32")
#undef dct_trn8_8
#pragma pop_macro("dct_trn8_8")
#undef dct_wadd
#pragma pop_macro("dct_wadd")
#undef dct_widen
#pragma pop_macro("dct_widen")
#undef dct_wsub
#pragma pop_macro("dct_wsub")
#undef stbi__DNL
#pragma pop_macro("stbi__DNL")
#undef stbi__EOI
#pragma pop_macro("stbi__EOI")
#undef stbi__SOF
#pragma pop_macro("stbi__SOF")
#undef stbi__SOF_progressive
#pragma pop_macro("stbi__SOF_progressive")
#undef stbi__SOI
#pragma pop_macro("stbi__SOI")
#undef stbi__SOS
#pragma pop_macro("stbi__SOS")
#undef stbi__de_iphone_flag
#pragma pop_macro("stbi__de_iphone_flag")
#undef stbi__div16
#pragma pop_macro("stbi__div16")
#undef stbi__div4
#pragma pop_macro("stbi__div4")
#undef stbi__err
#pragma pop_macro("stbi__err")
#undef stbi__errpf
#pragma pop_macro("stbi__errpf")
#undef stbi__errpuc
#pragma pop_macro("stbi__errpuc")
#undef stbi__f2f
#pragma pop_macro("stbi__f2f")
#undef stbi__float2fixed
#pragma pop_macro("stbi__float2fixed")
#undef stbi__float2int
#pragma pop_macro("stbi__float2int")
#undef stbi__fsh
#pragma pop_macro("stbi__fsh")
#undef stbi__unpremultiply_on_load
#pragma pop_macro("stbi__unpremultiply_on_load")
#undef stbi__vertically_flip_on_load
#pragma pop_macro("stbi__vertically_flip_on_load")
#undef stbi_convert_iphone_png_to_rgb
#pragma pop_macro("stbi_convert_iphone_png_to_rgb")
#undef stbi_convert_iphone_png_to_rgb_thread
#pragma pop_macro("stbi_convert_iphone_png_to_rgb_thread")
#undef stbi_convert_wchar_to_utf8
#pragma pop_macro("stbi_convert_wchar_to_utf8")
#undef stbi_failure_reason
#pragma pop_macro("stbi_failure_reason")
#undef stbi_hdr_to_ldr_gamma
#pragma pop_macro("stbi_hdr_to_ldr_gamma")
#undef stbi_hdr_to_ldr_scale
#pragma pop_macro("stbi_hdr_to_ldr_scale")
#undef stbi_image_free
#pragma pop_macro("stbi_image_free")
#undef stbi_info
#pragma pop_macro("stbi_info")
#undef stbi_info_from_callbacks
#pragma pop_macro("stbi_info_from_callbacks")
#undef stbi_info_from_file
#pragma pop_macro("stbi_info_from_file")
#undef stbi_info_from_memory
#pragma pop_macro("stbi_info_from_memory")
#undef stbi_inline
#pragma pop_macro("stbi_inline")
#undef stbi_is_16_bit
#pragma pop_macro("stbi_is_16_bit")
#undef stbi_is_16_bit_from_callbacks
#pragma pop_macro("stbi_is_16_bit_from_callbacks")
#undef stbi_is_16_bit_from_file
#pragma pop_macro("stbi_is_16_bit_from_file")
#undef stbi_is_16_bit_from_memory
#pragma pop_macro("stbi_is_16_bit_from_memory")
#undef stbi_is_hdr
#pragma pop_macro("stbi_is_hdr")
#undef stbi_is_hdr_from_callbacks
#pragma pop_macro("stbi_is_hdr_from_callbacks")
#undef stbi_is_hdr_from_file
#pragma pop_macro("stbi_is_hdr_from_file")
#undef stbi_is_hdr_from_memory
#pragma pop_macro("stbi_is_hdr_from_memory")
#undef stbi_ldr_to_hdr_gamma
#pragma pop_macro("stbi_ldr_to_hdr_gamma")
#undef stbi_ldr_to_hdr_scale
#pragma pop_macro("stbi_ldr_to_hdr_scale")
#undef stbi_load
#pragma pop_macro("stbi_load")
#undef stbi_load_16
#pragma pop_macro("stbi_load_16")
#undef stbi_load_16_from_callbacks
#pragma pop_macro("stbi_load_16_from_callbacks")
#undef stbi_load_16_from_memory
#pragma pop_macro("stbi_load_16_from_memory")
#undef stbi_load_from_callbacks
#pragma pop_macro("stbi_load_from_callbacks")
#undef stbi_load_from_file
#pragma pop_macro("stbi_load_from_file")
#undef stbi_load_from_file_16
#pragma pop_macro("stbi_load_from_file_16")
#undef stbi_load_from_memory
#pragma pop_macro("stbi_load_from_memory")
#undef stbi_load_gif_from_memory
#pragma pop_macro("stbi_load_gif_from_memory")
#undef stbi_loadf
#pragma pop_macro("stbi_loadf")
#undef stbi_loadf_from_callbacks
#pragma pop_macro("stbi_loadf_from_callbacks")
#undef stbi_loadf_from_file
#pragma pop_macro("stbi_loadf_from_file")
#undef stbi_loadf_from_memory
#pragma pop_macro("stbi_loadf_from_memory")
#undef stbi_lrot
#pragma pop_macro("stbi_lrot")
#undef stbi_set_flip_vertically_on_load
#pragma pop_macro("stbi_set_flip_vertically_on_load")
#undef stbi_set_flip_vertically_on_load_thread
#pragma pop_macro("stbi_set_flip_vertically_on_load_thread")
#undef stbi_set_unpremultiply_on_load
#pragma pop_macro("stbi_set_unpremultiply_on_load")
#undef stbi_set_unpremultiply_on_load_thread
#pragma pop_macro("stbi_set_unpremultiply_on_load_thread")
#undef stbi_zlib_decode_buffer
#pragma pop_macro("stbi_zlib_decode_buffer")
#undef stbi_zlib_decode_malloc
#pragma pop_macro("stbi_zlib_decode_malloc")
#undef stbi_zlib_decode_malloc_guesssize
#pragma pop_macro("stbi_zlib_decode_malloc_guesssize")
#undef stbi_zlib_decode_malloc_guesssize_headerflag
#pragma pop_macro("stbi_zlib_decode_malloc_guesssize_headerflag")
#undef stbi_zlib_decode_noheader_buffer
#pragma pop_macro("stbi_zlib_decode_noheader_buffer")
#undef stbi_zlib_decode_noheader_malloc
#pragma pop_macro("stbi_zlib_decode_noheader_malloc")
#undef stbiw__ZHASH
#pragma pop_macro("stbiw__ZHASH")
#undef stbiw__max
#pragma pop_macro("stbiw__max")
#undef stbiw__sbcount
#pragma pop_macro("stbiw__sbcount")
#undef stbiw__sbfree
#pragma pop_macro("stbiw__sbfree")
#undef stbiw__sbgrow
#pragma pop_macro("stbiw__sbgrow")
#undef stbiw__sbm
#pragma pop_macro("stbiw__sbm")
#undef stbiw__sbmaybegrow
#pragma pop_macro("stbiw__sbmaybegrow")
#undef stbiw__sbn
#pragma pop_macro("stbiw__sbn")
#undef stbiw__sbneedgrow
#pragma pop_macro("stbiw__sbneedgrow")
#undef stbiw__sbpush
#pragma pop_macro("stbiw__sbpush")
#undef stbiw__sbraw
#pragma pop_macro("stbiw__sbraw")
#undef stbiw__wp32
#pragma pop_macro("stbiw__wp32")
#undef stbiw__wpng4
#pragma pop_macro("stbiw__wpng4")
#undef stbiw__wptag
#pragma pop_macro("stbiw__wptag")
#undef stbiw__zlib_add
#pragma pop_macro("stbiw__zlib_add")
#undef stbiw__zlib_flush
#pragma pop_macro("stbiw__zlib_flush")
#undef stbiw__zlib_huff
#pragma pop_macro("stbiw__zlib_huff")
#undef stbiw__zlib_huff1
#pragma pop_macro("stbiw__zlib_huff1")
#undef stbiw__zlib_huff2
#pragma pop_macro("stbiw__zlib_huff2")
#undef stbiw__zlib_huff3
#pragma pop_macro("stbiw__zlib_huff3")
#undef stbiw__zlib_huff4
#pragma pop_macro("stbiw__zlib_huff4")
#undef stbiw__zlib_huffa
#pragma pop_macro("stbiw__zlib_huffa")
#undef stbiw__zlib_huffb
#pragma pop_macro("stbiw__zlib_huffb")
