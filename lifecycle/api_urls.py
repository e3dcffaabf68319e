from django.urls import path

from . import api

urlpatterns = [
    path("lifecycle/preview/", api.LifecyclePreviewApi.as_view(), name="lifecycle-preview"),
    path("products/", api.ProductListApi.as_view(), name="product-list"),
    path("products/<int:product_id>/", api.ProductDetailApi.as_view(), name="product-detail"),
    path("contracts/", api.ContractListApi.as_view(), name="contract-list"),
]
