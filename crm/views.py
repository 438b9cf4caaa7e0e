from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from crm import selectors


@login_required
def home(request):
    return redirect("customer-list")


@login_required
def customer_list(request):
    customers = selectors.customer_list_for_user(user=request.user)[:50]
    return render(request, "crm/customer_list.html", {"customers": customers})


@login_required
def customer_detail(request, pk: int):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk)
    return render(request, "crm/customer_detail.html", {"customer": customer})
