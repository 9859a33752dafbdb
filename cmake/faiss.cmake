# faiss (Debian libfaiss-dev: a static library needing OpenMP, BLAS and LAPACK), the software peer of the
# Hamming engine, for tests/faiss and bench/. Sets BITGRID_FAISS to a target to link, or leaves it empty.
find_package(OpenMP)
set(BITGRID_FAISS "")
if(OpenMP_CXX_FOUND)
  # faiss-config.cmake (Debian) refers to OpenMP::OpenMP_CXX without looking for it itself.
  find_package(faiss CONFIG QUIET)
endif()
if(TARGET faiss)
  set(BITGRID_FAISS faiss)
else()
  # Fallback: link the static library by hand.
  find_library(BITGRID_FAISS_LIB NAMES faiss)
  find_path(BITGRID_FAISS_INCLUDE faiss/IndexBinaryFlat.h)
  find_package(BLAS QUIET)
  find_package(LAPACK QUIET)
  if(BITGRID_FAISS_LIB AND BITGRID_FAISS_INCLUDE AND OpenMP_CXX_FOUND AND BLAS_FOUND AND LAPACK_FOUND)
    add_library(bitgrid_faiss INTERFACE)
    target_include_directories(bitgrid_faiss INTERFACE ${BITGRID_FAISS_INCLUDE})
    target_link_libraries(bitgrid_faiss INTERFACE ${BITGRID_FAISS_LIB} OpenMP::OpenMP_CXX ${LAPACK_LIBRARIES}
                          ${BLAS_LIBRARIES})
    set(BITGRID_FAISS bitgrid_faiss)
  endif()
endif()
