# One build path for BPF: clang -target bpf -O2 -g, vmlinux.h from the running kernel's BTF,
# skeleton headers from bpftool. Every object depends on all headers it includes (depfile), so a
# change to an *_abi.h rebuilds the object, its skeleton and every C++ user.
find_program(CLANG_BPF NAMES clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(NETACCEL_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
set(NETACCEL_VMLINUX_H ${NETACCEL_BPF_GEN_DIR}/vmlinux/vmlinux.h)
if(EXISTS /sys/kernel/btf/vmlinux)
  set(NETACCEL_BTF_SOURCE /sys/kernel/btf/vmlinux)
else()
  message(FATAL_ERROR "netaccel needs a kernel with BTF (/sys/kernel/btf/vmlinux)")
endif()
add_custom_command(
  OUTPUT ${NETACCEL_VMLINUX_H}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${NETACCEL_BPF_GEN_DIR}/vmlinux
  COMMAND ${BPFTOOL} btf dump file ${NETACCEL_BTF_SOURCE} format c > ${NETACCEL_VMLINUX_H}.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${NETACCEL_VMLINUX_H}.tmp ${NETACCEL_VMLINUX_H}
  COMMENT "Generating vmlinux.h from kernel BTF")
add_custom_target(netaccel_vmlinux DEPENDS ${NETACCEL_VMLINUX_H})

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(NETACCEL_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(NETACCEL_BPF_ARCH arm64)
else()
  set(NETACCEL_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

# netaccel_bpf_object(<name> SOURCE <file.bpf.c>)
# Produces <name>.bpf.o and <name>.skel.h, and an INTERFACE library bpf_<name> whose include
# path holds the skeleton; link it to use the skeleton from C++.
function(netaccel_bpf_object name)
  cmake_parse_arguments(ARG "" "SOURCE" "" ${ARGN})
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_SOURCE})
  set(out_dir ${NETACCEL_BPF_GEN_DIR}/${name})
  set(obj ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    # -mcpu=v3: atomics that return a value (netaccel-iptables' nth counters); kernels >= 5.12.
    COMMAND ${CLANG_BPF} -target bpf -mcpu=v3 -O2 -g -Wall -Werror
            -D__TARGET_ARCH_${NETACCEL_BPF_ARCH}
            -I${NETACCEL_BPF_GEN_DIR}/vmlinux -I${PROJECT_SOURCE_DIR}/bpf/include
            -I${PROJECT_SOURCE_DIR}/bpf
            -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src} netaccel_vmlinux
    DEPFILE ${obj}.d
    COMMENT "BPF ${name}")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}")
  add_custom_target(bpf_${name}_gen DEPENDS ${obj} ${skel})
  add_library(bpf_${name} INTERFACE)
  add_dependencies(bpf_${name} bpf_${name}_gen)
  target_include_directories(bpf_${name} INTERFACE ${out_dir} ${PROJECT_SOURCE_DIR}/bpf)
  set_property(GLOBAL APPEND PROPERTY NETACCEL_BPF_OBJECTS ${obj})
  set(NETACCEL_BPF_OBJECT_${name} ${obj} CACHE INTERNAL "")
endfunction()
